import { expect } from 'chai'
import fc from 'fast-check'
import { decideStore, type StorePolicy } from '../../middleware/http/storability.js'
import { ROUTE_DEFAULTS } from '../../middleware/route/options.js'

/** RFC 9111 section 3 (storing responses) in both modes, as a table of decisions. */

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
const at = (offsetSeconds: number): string => new Date(NOW + offsetSeconds * 1000).toUTCString()
const TIMES = { requestTime: NOW, responseTime: NOW }

const SHARED: StorePolicy = {
  statuses: new Set(ROUTE_DEFAULTS.sharedStatuses),
  credentialed: false,
  shared: true,
  heuristicCapMs: 3_600_000,
  times: TIMES,
}
const DEFAULT: StorePolicy = {
  ...SHARED,
  statuses: new Set(ROUTE_DEFAULTS.statuses),
  shared: false,
}

type Headers = Record<string, string | string[]>
const decide = (status: number, headers: Headers, policy: StorePolicy) =>
  decideStore({ status, headers, bodyTooLarge: false, aborted: false }, policy)
const outcome = (status: number, headers: Headers, policy: StorePolicy): string | number => {
  const decision = decide(status, headers, policy)
  if (!decision.store) return decision.reason
  return decision.remainingMs === undefined ? 'route-ttl' : decision.remainingMs
}

describe('storing responses (RFC 9111 3), shared mode', () => {
  const table: [string, number, Headers, string | number][] = [
    ['no lifetime, no heuristic', 200, {}, 'no-freshness'],
    ['a validator alone', 200, { etag: '"a"' }, 'no-freshness'],
    ['max-age', 200, { 'cache-control': 'max-age=60' }, 60_000],
    ['s-maxage over max-age', 200, { 'cache-control': 'max-age=60, s-maxage=5' }, 5_000],
    ['max-age=0', 200, { 'cache-control': 'max-age=0' }, 'stale'],
    ['malformed max-age', 200, { 'cache-control': 'max-age=-1' }, 'stale'],
    ['Expires', 200, { expires: at(30), date: at(0) }, 30_000],
    ['Expires now', 200, { expires: at(0), date: at(0) }, 'stale'],
    ['Age beyond max-age', 200, { 'cache-control': 'max-age=3600', age: '7200' }, 'stale'],
    ['Age within max-age', 200, { 'cache-control': 'max-age=3600', age: '600' }, 3_000_000],
    ['invalid Age', 200, { 'cache-control': 'max-age=3600', age: '0, 0' }, 'stale'],
    ['any final status, explicit', 599, { 'cache-control': 'max-age=60' }, 60_000],
    ['302 explicit', 302, { expires: at(60), date: at(0) }, 60_000],
    ['500 explicit', 500, { 'cache-control': 'max-age=60' }, 60_000],
    ['404 heuristic', 404, { 'last-modified': at(-1000), date: at(0) }, 100_000],
    ['heuristic capped by ttl', 200, { 'last-modified': at(-1e6), date: at(0) }, 3_600_000],
    ['201 no heuristic', 201, { 'last-modified': at(-1000), date: at(0) }, 'no-freshness'],
    ['599 no heuristic', 599, { 'last-modified': at(-1000) }, 'no-freshness'],
    [
      '599 public heuristic',
      599,
      { 'cache-control': 'public', 'last-modified': at(-1000) },
      100_000,
    ],
    ['206', 206, { 'cache-control': 'max-age=60' }, 'partial-content'],
    ['304', 304, { 'cache-control': 'max-age=60' }, 'status'],
    [
      'must-understand, unknown status',
      599,
      { 'cache-control': 'max-age=60, must-understand' },
      'status',
    ],
    [
      'must-understand, known status',
      200,
      { 'cache-control': 'max-age=60, must-understand' },
      60_000,
    ],
    ['no-store', 200, { 'cache-control': 'max-age=60, no-store' }, 'no-store'],
    ['private', 200, { 'cache-control': 'private, max-age=60' }, 'private'],
    [
      'no-cache: kept only to revalidate',
      200,
      { 'cache-control': 'max-age=60, No-Cache' },
      'no-cache',
    ],
    ['no-cache without a lifetime', 200, { 'cache-control': 'no-cache', etag: '"a"' }, 'no-cache'],
    ['no-cache never hides Vary: *', 200, { 'cache-control': 'no-cache', vary: '*' }, 'vary-star'],
    ['no-cache never hides private', 200, { 'cache-control': 'no-cache, private' }, 'private'],
    ['Set-Cookie', 200, { 'cache-control': 'max-age=60', 'set-cookie': 'a=b' }, 'set-cookie'],
    ['Vary: *', 200, { 'cache-control': 'max-age=60', vary: '*' }, 'vary-star'],
  ]
  for (const [name, status, headers, expected] of table) {
    it(`${name} → ${expected}`, () => expect(outcome(status, headers, SHARED)).to.equal(expected))
  }

  it('forbids stale serving under must-revalidate, proxy-revalidate and s-maxage only', () => {
    const noStale = (control: string) => {
      const decision = decide(200, { 'cache-control': control }, SHARED)
      return decision.store && decision.noStale
    }
    expect(noStale('max-age=60, must-revalidate')).to.equal(true)
    expect(noStale('max-age=60, proxy-revalidate')).to.equal(true)
    expect(noStale('max-age=60, s-maxage=60')).to.equal(true)
    expect(noStale('max-age=60')).to.equal(false)
  })

  it('never gives a heuristic lifetime to a response to a credentialed request', () => {
    const policy = { ...SHARED, credentialed: true }
    const heuristic = { 'cache-control': 'public', 'last-modified': at(-1000) }
    expect(outcome(200, heuristic, policy)).to.equal('authorization')
    expect(outcome(200, { 'cache-control': 'public, max-age=60' }, policy)).to.equal(60_000)
  })

  it('shares must-revalidate for an Authorization-only request, fresh by its explicit lifetime only', () => {
    const auth = { ...SHARED, credentialed: true, authorizationOnly: true }
    const cookie = { ...SHARED, credentialed: true, authorizationOnly: false }
    const mr = { 'cache-control': 'max-age=60, must-revalidate' }
    expect(outcome(200, mr, auth)).to.equal(60_000)
    expect(outcome(200, mr, cookie)).to.equal('authorization')
    expect(outcome(200, mr, { ...DEFAULT, credentialed: true, authorizationOnly: true })).to.equal(
      'authorization',
    )
    const refused: Headers[] = [
      { 'cache-control': 'max-age=0, must-revalidate' },
      { 'cache-control': 'must-revalidate', 'last-modified': at(-1000) },
      { 'cache-control': 'must-revalidate', expires: at(-10) },
      { 'cache-control': 'max-age=60, must-revalidate', age: '60' },
      { 'cache-control': 'max-age=60, proxy-revalidate' },
    ]
    for (const headers of refused) expect(outcome(200, headers, auth)).to.not.be.a('number')
    const decision = decide(200, mr, auth)
    expect(decision.store && decision.noStale).to.equal(true)
  })

  it('never stores anything whose lifetime is used up by its age', () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.nat(100_000), (maxAge, age) => {
        const headers = { 'cache-control': `max-age=${maxAge}`, age: String(age) }
        const decision = decide(200, headers, SHARED)
        expect(decision.store).to.equal(maxAge > age)
        if (decision.store) expect(decision.remainingMs).to.equal((maxAge - age) * 1000)
      }),
    )
  })
})

describe('storing responses, default mode (the route decides)', () => {
  const table: [string, number, Headers, string | number][] = [
    ['no lifetime: the route ttl', 200, {}, 'route-ttl'],
    ['max-age=0: stored (the route ttl decides)', 200, { 'cache-control': 'max-age=0' }, 0],
    ['an error status', 500, { 'cache-control': 'max-age=60' }, 'status'],
    ['302 is not in the default statuses', 302, { 'cache-control': 'max-age=60' }, 'status'],
    ['404 even with a heuristic', 404, { 'last-modified': at(-1000) }, 'status'],
    ['no-store', 200, { 'cache-control': 'no-store' }, 'no-store'],
    ['no-cache: never stored', 200, { 'cache-control': 'no-cache', etag: '"a"' }, 'no-store'],
    ['Set-Cookie', 200, { 'set-cookie': 'a=b' }, 'set-cookie'],
  ]
  for (const [name, status, headers, expected] of table) {
    it(`${name} → ${expected}`, () => expect(outcome(status, headers, DEFAULT)).to.equal(expected))
  }
})
