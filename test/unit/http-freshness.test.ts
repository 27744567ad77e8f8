import { expect } from 'chai'
import fc from 'fast-check'
import {
  MAX_DELTA_SECONDS,
  parseCacheControl,
  seconds,
} from '../../middleware/http/cache-control.js'
import {
  ageValue,
  explicitLifetime,
  heuristicLifetime,
  initialAge,
} from '../../middleware/http/freshness.js'

/** RFC 9111 freshness rules (section 4.2) as tables and properties: pure functions, no I/O. */

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0)
const at = (offsetSeconds: number): string => new Date(NOW + offsetSeconds * 1000).toUTCString()
const cc = parseCacheControl

describe('delta-seconds in Cache-Control (RFC 9111 1.2.2, 5.2)', () => {
  const table: [string, number | undefined][] = [
    ['max-age=3600', 3600],
    ['max-age="3600"', 3600],
    ['MAX-AGE=3600', 3600],
    ['max-age=003600', 3600],
    ['public', undefined],
    ['max-age=-1', 0],
    ["max-age='3600'", 0],
    ['max-age=3600.5', 0],
    ['max-age=a3600', 0],
    ['max-age', 0],
    ['max-age=99999999999', MAX_DELTA_SECONDS],
    ['max-age=2147483649', MAX_DELTA_SECONDS],
    ['max-age=1800, max-age=1', 1800],
    ['extension="max-age=3600", max-age=1', 1],
    ['max-age=1, extension="max-age=3600"', 1],
  ]
  for (const [header, expected] of table) {
    it(`${header} → ${String(expected)}`, () => {
      expect(seconds(cc(header), 'max-age')).to.equal(expected)
    })
  }

  it('reads any run of digits as itself, capped at 2^31', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,15}$/), (digits) => {
        const value = seconds(cc(`max-age=${digits}`), 'max-age')
        expect(value).to.equal(Math.min(Number(digits), MAX_DELTA_SECONDS))
      }),
    )
  })

  it('reads any value that is not digits as 0 (stale), never as absent', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[^\s,"=]+$/), (text) => {
        fc.pre(!/^\d+$/.test(text))
        expect(seconds(cc(`max-age=${text}`), 'max-age')).to.equal(0)
      }),
    )
  })
})

describe('explicit lifetime (RFC 9111 4.2.1)', () => {
  const table: [string, Record<string, string>, boolean, number | undefined][] = [
    ['s-maxage first (shared)', { 'cache-control': 'max-age=60, s-maxage=10' }, true, 10_000],
    ['s-maxage ignored (private)', { 'cache-control': 'max-age=60, s-maxage=10' }, false, 60_000],
    ['max-age before Expires', { 'cache-control': 'max-age=5', expires: at(100) }, true, 5_000],
    ['Expires - Date (IMF-fixdate)', { expires: at(100), date: at(0) }, true, 100_000],
    [
      'Expires in RFC 850 form',
      { expires: 'Monday, 30-Nov-26 12:01:40 GMT', date: at(0) },
      true,
      100_000,
    ],
    [
      'Expires in asctime form',
      { expires: 'Mon Nov 30 12:01:40 2026', date: at(0) },
      true,
      100_000,
    ],
    ['invalid Expires is stale', { expires: '0', date: at(0) }, true, 0],
    ['past Expires is 0', { expires: at(-5), date: at(0) }, true, 0],
    ['Expires before Date is 0', { expires: at(300), date: at(400) }, true, 0],
    ['invalid Date: arrival time', { expires: at(10), date: 'foo' }, true, 10_000],
    ['none', { 'last-modified': at(-100) }, true, undefined],
    [
      'max-age wins over an invalid Expires',
      { 'cache-control': 'max-age=7', expires: 'x' },
      true,
      7_000,
    ],
  ]
  for (const [name, headers, shared, expected] of table) {
    it(name, () => {
      const directives = cc(headers['cache-control'])
      expect(explicitLifetime(directives, headers, shared, NOW)).to.equal(expected)
    })
  }
})

describe('Age (RFC 9111 5.1) and the initial age (4.2.3)', () => {
  // The cache-tests "Age Parsing" cases, as header values reach the cache.
  const table: [string | string[] | undefined, number][] = [
    [undefined, 0],
    ['7200', 7200],
    [' 30 ', 30],
    [['30'], 30],
    ['abc', Infinity],
    ['-7200', Infinity],
    ['7200.0', Infinity],
    ['7200,0', Infinity],
    ['0, 0', Infinity],
    ['3600, 3600', Infinity],
    [['7200', '0'], Infinity],
    [['0', '7200'], Infinity],
    ['7200;foo=bar', Infinity],
    ['7200;foo=111', Infinity],
  ]
  for (const [header, expected] of table) {
    it(`Age ${JSON.stringify(header)} → ${expected}`, () => {
      expect(ageValue(header)).to.equal(expected)
    })
  }

  it('takes the larger of the apparent age and Age plus the exchange time', () => {
    const times = { requestTime: NOW - 2_000, responseTime: NOW }
    expect(initialAge({ date: at(-10), age: '25' }, times)).to.equal(27_000)
    expect(initialAge({ date: at(-30), age: '5' }, times)).to.equal(30_000)
    // A Date from the future (a fast clock) is no negative age.
    expect(initialAge({ date: at(10), age: '15' }, times)).to.equal(17_000)
    expect(initialAge({}, times)).to.equal(2_000)
  })

  it('never makes a response younger when its Age or the exchange time grow', () => {
    fc.assert(
      fc.property(
        fc.nat(10_000),
        fc.nat(10_000),
        fc.nat(60_000),
        fc.integer({ min: -100, max: 100 }),
        (age, extra, delay, dateOffset) => {
          const headers = (a: number) => ({ date: at(dateOffset), age: String(a) })
          const times = { requestTime: NOW - delay, responseTime: NOW }
          const slower = { requestTime: NOW - delay - extra, responseTime: NOW }
          const base = initialAge(headers(age), times)
          expect(initialAge(headers(age + extra), times)).to.be.at.least(base)
          expect(initialAge(headers(age), slower)).to.be.at.least(base)
          expect(base).to.be.at.least(age * 1000)
        },
      ),
    )
  })
})

describe('heuristic lifetime (RFC 9111 4.2.2)', () => {
  const day = 86_400
  const headers = { 'last-modified': at(-day), date: at(0) }
  const table: [number, string, number | undefined][] = [
    [200, '', day * 100],
    [203, '', day * 100],
    [204, '', day * 100],
    [301, '', day * 100],
    [404, '', day * 100],
    [405, '', day * 100],
    [410, '', day * 100],
    [414, '', day * 100],
    [501, '', day * 100],
    [201, '', undefined],
    [202, '', undefined],
    [403, '', undefined],
    [502, '', undefined],
    [599, '', undefined],
    [599, 'public', day * 100],
  ]
  for (const [status, control, expected] of table) {
    it(`${status}${control === '' ? '' : ` ${control}`} → ${String(expected)}`, () => {
      expect(heuristicLifetime(status, cc(control), headers, NOW, 1e12)).to.equal(expected)
    })
  }

  it("is 10% of the time since Last-Modified, at most the cap (the route's ttl)", () => {
    expect(heuristicLifetime(200, cc(''), headers, NOW, 60_000)).to.equal(60_000)
    const recent = { 'last-modified': at(-100), date: at(0) }
    expect(heuristicLifetime(200, cc(''), recent, NOW, 60_000)).to.equal(10_000)
  })

  it('needs a valid Last-Modified before Date', () => {
    expect(heuristicLifetime(200, cc(''), { date: at(0) }, NOW, 1e12)).to.equal(undefined)
    expect(heuristicLifetime(200, cc(''), { 'last-modified': 'x' }, NOW, 1e12)).to.equal(undefined)
    const future = { 'last-modified': at(10), date: at(0) }
    expect(heuristicLifetime(200, cc(''), future, NOW, 1e12)).to.equal(undefined)
  })
})
