import { expect } from 'chai'
import fc from 'fast-check'
import { byteRange, ifRangeHolds } from '../../middleware/http/range.js'
import {
  governingDirectives,
  surrogateDirectives,
  SURROGATE_TOKEN,
} from '../../middleware/http/targeted.js'

/** Targeted cache control (RFC 9213, Surrogate-Control) and byte ranges (RFC 9110 14). */

const entries = (map: ReadonlyMap<string, string | true>) => Object.fromEntries(map)

describe('Surrogate-Control targeting', () => {
  const table: [string, Record<string, string | true>][] = [
    ['max-age=60', { 'max-age': '60' }],
    [`max-age=60;${SURROGATE_TOKEN}`, { 'max-age': '60' }],
    ['max-age=60;someone-else', {}],
    ['MaX-aGe=60', { 'max-age': '60' }],
    ['foobar, max-age=60', { foobar: true, 'max-age': '60' }],
    // A directive targeted at herdlock wins over one for every surrogate, in any order.
    [`max-age=10, max-age=60;${SURROGATE_TOKEN}`, { 'max-age': '60' }],
    [`no-store;other, max-age=5`, { 'max-age': '5' }],
    ['ext="a;b", max-age=5', { ext: 'a;b', 'max-age': '5' }],
  ]
  for (const [header, expected] of table) {
    it(`${header} → ${JSON.stringify(expected)}`, () => {
      expect(entries(surrogateDirectives(header, SURROGATE_TOKEN))).to.deep.equal(expected)
    })
  }
})

describe('which directives govern the cache (RFC 9213 2.1)', () => {
  const table: [string, Record<string, string>, boolean, Record<string, string | true>, boolean][] =
    [
      [
        'Herdlock-Cache-Control first',
        {
          'herdlock-cache-control': 'max-age=5',
          'surrogate-control': 'max-age=6',
          'cache-control': 'no-store',
        },
        true,
        { 'max-age': '5' },
        true,
      ],
      [
        'then Surrogate-Control (shared mode)',
        { 'surrogate-control': 'max-age=6', 'cache-control': 'no-store' },
        true,
        { 'max-age': '6' },
        true,
      ],
      [
        'Surrogate-Control ignored in default mode',
        { 'surrogate-control': 'max-age=6', 'cache-control': 'no-store' },
        false,
        { 'no-store': true },
        false,
      ],
      [
        'an empty targeted field falls back to Cache-Control',
        { 'herdlock-cache-control': ' ', 'cache-control': 'max-age=1' },
        true,
        { 'max-age': '1' },
        false,
      ],
      [
        'one for another surrogate falls back too',
        { 'surrogate-control': 'max-age=6;cdn', 'cache-control': 'max-age=1' },
        true,
        { 'max-age': '1' },
        false,
      ],
    ]
  for (const [name, headers, shared, expected, targeted] of table) {
    it(name, () => {
      const governing = governingDirectives(headers, shared)
      expect(entries(governing.cc)).to.deep.equal(expected)
      expect(governing.targeted).to.equal(targeted)
    })
  }
})

describe('byte ranges of a stored body (RFC 9110 14.1.2)', () => {
  const table: [string, number, ReturnType<typeof byteRange>][] = [
    ['bytes=0-1', 11, { kind: 'range', start: 0, end: 1 }],
    ['bytes=1-', 11, { kind: 'range', start: 1, end: 10 }],
    ['bytes=-1', 11, { kind: 'range', start: 10, end: 10 }],
    ['bytes=-100', 11, { kind: 'range', start: 0, end: 10 }],
    ['bytes=5-100', 11, { kind: 'range', start: 5, end: 10 }],
    ['BYTES = 2 - 3', 11, { kind: 'range', start: 2, end: 3 }],
    ['bytes=11-', 11, { kind: 'unsatisfiable' }],
    ['bytes=-0', 11, { kind: 'unsatisfiable' }],
    ['bytes=3-2', 11, undefined],
    ['bytes=0-1,3-4', 11, undefined],
    ['items=0-1', 11, undefined],
    ['bytes=-', 11, undefined],
  ]
  for (const [header, length, expected] of table) {
    it(`${header} of ${length} bytes → ${JSON.stringify(expected)}`, () => {
      expect(byteRange(header, length)).to.deep.equal(expected)
    })
  }

  it('only ever names bytes inside the body', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.option(fc.nat(2000)),
        fc.option(fc.nat(2000)),
        (length, first, last) => {
          const header = `bytes=${first ?? ''}-${last ?? ''}`
          const answer = byteRange(header, length)
          if (answer?.kind !== 'range') return
          expect(answer.start).to.be.within(0, answer.end)
          expect(answer.end).to.be.below(length)
        },
      ),
    )
  })

  it('applies If-Range only on a strong ETag match or the exact Last-Modified', () => {
    const lm = 'Sun, 06 Nov 1994 08:49:37 GMT'
    expect(ifRangeHolds(undefined, '"a"', lm)).to.equal(true)
    expect(ifRangeHolds('"a"', '"a"', lm)).to.equal(true)
    expect(ifRangeHolds('"b"', '"a"', lm)).to.equal(false)
    expect(ifRangeHolds('W/"a"', 'W/"a"', lm)).to.equal(false)
    expect(ifRangeHolds('"a"', 'W/"a"', lm)).to.equal(false)
    expect(ifRangeHolds(lm, '"a"', lm)).to.equal(true)
    expect(ifRangeHolds('Mon, 07 Nov 1994 08:49:37 GMT', '"a"', lm)).to.equal(false)
  })
})
