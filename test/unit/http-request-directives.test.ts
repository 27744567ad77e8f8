import { expect } from 'chai'
import fc from 'fast-check'
import {
  readClientDirectives,
  satisfies,
  type ClientDirectives,
  type StoredTimes,
} from '../../middleware/http/request-directives.js'
import {
  permittedDirectives,
  resolveDirectivePermissions,
} from '../../middleware/route/directive-permissions.js'
import type { IncomingMessage } from 'node:http'

/** Cache-Control request directives (RFC 9111 5.2.1, 5.4): reading them and applying them. */

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
const read = (cacheControl?: string, pragma?: string): ClientDirectives | undefined =>
  readClientDirectives({
    ...(cacheControl === undefined ? {} : { 'cache-control': cacheControl }),
    ...(pragma === undefined ? {} : { pragma }),
  })

describe('reading request directives', () => {
  const table: [string | undefined, string | undefined, Partial<ClientDirectives> | undefined][] = [
    [undefined, undefined, undefined],
    ['public, max-age', undefined, { maxAgeMs: 0 }],
    ['max-age=60', undefined, { maxAgeMs: 60_000 }],
    ['Max-Age="60"', undefined, { maxAgeMs: 60_000 }],
    ['max-age=abc', undefined, { maxAgeMs: 0 }],
    ['min-fresh=5', undefined, { minFreshMs: 5_000 }],
    ['max-stale', undefined, { maxStaleMs: Infinity }],
    ['max-stale=10', undefined, { maxStaleMs: 10_000 }],
    ['max-stale=-1', undefined, { maxStaleMs: 0 }],
    ['no-cache', undefined, { noCache: true }],
    ['NO-STORE', undefined, { noStore: true }],
    ['only-if-cached', undefined, { onlyIfCached: true }],
    // RFC 9111 5.4 deprecates Pragma: not read, with or without Cache-Control.
    [undefined, 'no-cache', undefined],
    ['max-stale', 'no-cache', { maxStaleMs: Infinity }],
    ['foo', 'no-cache', undefined],
    ['', undefined, undefined],
  ]
  for (const [cacheControl, pragma, expected] of table) {
    it(`Cache-Control ${String(cacheControl)}, Pragma ${String(pragma)}`, () => {
      const result = read(cacheControl, pragma)
      if (expected === undefined) return expect(result).to.equal(undefined)
      expect(result).to.deep.equal({
        noCache: false,
        noStore: false,
        onlyIfCached: false,
        ...expected,
      })
    })
  }

  it('never throws, and reads directive names in any case alike', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 20 }), (cc, pragma) => {
        read(cc, pragma)
      }),
    )
    const names = ['no-cache', 'no-store', 'only-if-cached', 'max-age=7', 'max-stale=7']
    fc.assert(
      fc.property(fc.subarray(names, { minLength: 1 }), fc.boolean(), (picked, upper) => {
        const text = picked.join(', ')
        expect(read(upper ? text.toUpperCase() : text)).to.deep.equal(read(text))
      }),
    )
  })
})

describe('whether a stored response satisfies request directives', () => {
  const directives = fc.record({
    noCache: fc.boolean(),
    noStore: fc.boolean(),
    onlyIfCached: fc.boolean(),
    maxAgeMs: fc.option(fc.nat(10_000_000), { nil: undefined }),
    minFreshMs: fc.option(fc.nat(10_000_000), { nil: undefined }),
    maxStaleMs: fc.option(fc.oneof(fc.nat(10_000_000), fc.constant(Infinity)), {
      nil: undefined,
    }),
  })
  const times: fc.Arbitrary<StoredTimes> = fc.record({
    storedAt: fc.integer({ min: NOW - 10_000_000, max: NOW }),
    initialAgeMs: fc.nat(10_000_000),
    freshUntil: fc.integer({ min: NOW - 10_000_000, max: NOW + 10_000_000 }),
  })
  const strip = (d: ClientDirectives): ClientDirectives =>
    Object.fromEntries(
      Object.entries(d).filter(([, v]) => v !== undefined),
    ) as unknown as ClientDirectives

  it('no-cache refuses every stored response', () => {
    fc.assert(
      fc.property(directives, times, (d, t) => {
        expect(satisfies(strip({ ...d, noCache: true }), t, NOW)).to.equal(false)
      }),
    )
  })

  it('a stale response only with max-stale, and never staler than it allows', () => {
    fc.assert(
      fc.property(directives, times, (d, t) => {
        const accepted = satisfies(strip(d), t, NOW)
        if (!accepted || t.freshUntil > NOW) return
        expect(d.maxStaleMs).to.not.equal(undefined)
        expect(NOW - t.freshUntil).to.be.at.most(d.maxStaleMs!)
      }),
    )
  })

  it('never older than max-age, never fresh for less than min-fresh', () => {
    fc.assert(
      fc.property(directives, times, (d, t) => {
        if (!satisfies(strip(d), t, NOW)) return
        const age = t.initialAgeMs + (NOW - t.storedAt)
        if (d.maxAgeMs !== undefined) expect(age).to.be.at.most(d.maxAgeMs)
        if (d.minFreshMs !== undefined) expect(t.freshUntil - NOW).to.be.at.least(d.minFreshMs)
      }),
    )
  })

  it('a fresh response satisfies a request that asks nothing of it but no-store or only-if-cached', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), times, (noStore, onlyIfCached, t) => {
        const d = { noCache: false, noStore, onlyIfCached }
        expect(satisfies(d, t, NOW)).to.equal(t.freshUntil > NOW)
      }),
    )
  })
})

describe('requestDirectives permissions', () => {
  const req = (headers: Record<string, string>): IncomingMessage =>
    ({ headers }) as unknown as IncomingMessage

  it('allows nothing by default, or when every family is false', () => {
    expect(resolveDirectivePermissions(undefined)).to.equal(undefined)
    expect(resolveDirectivePermissions(false)).to.equal(undefined)
    expect(resolveDirectivePermissions({ revalidate: false, maxStale: false })).to.equal(undefined)
  })

  it('keeps only the directives of the families the route allows this request', () => {
    const permissions = resolveDirectivePermissions({
      onlyIfCached: true,
      revalidate: (r: IncomingMessage) => r.headers['x-internal'] === 'yes',
    })!
    const all = 'no-cache, no-store, max-age=1, min-fresh=2, max-stale=3, only-if-cached'
    expect(permittedDirectives(permissions, req({ 'cache-control': all }))).to.deep.equal({
      noCache: false,
      noStore: false,
      onlyIfCached: true,
    })
    expect(
      permittedDirectives(permissions, req({ 'cache-control': all, 'x-internal': 'yes' })),
    ).to.deep.equal({
      noCache: true,
      noStore: false,
      onlyIfCached: true,
      maxAgeMs: 1000,
      minFreshMs: 2000,
    })
    expect(permittedDirectives(permissions, req({ 'cache-control': 'no-store' }))).to.equal(
      undefined,
    )
  })

  it('treats a predicate answering anything but true as false', () => {
    const permissions = resolveDirectivePermissions({ noStore: () => 'yes' as unknown as boolean })!
    expect(permittedDirectives(permissions, req({ 'cache-control': 'no-store' }))).to.equal(
      undefined,
    )
  })
})
