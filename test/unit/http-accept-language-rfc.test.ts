import { expect } from 'chai'
import fc from 'fast-check'
import {
  languagePreferences,
  listMembers,
  preferredLanguage,
  selectingValue,
} from '../../middleware/http/selecting.js'

/**
 * `acceptLanguage: 'rfc'`: Accept-Language compared by its RFC 9110 meaning (12.4.2, 12.5.4),
 * the ranges and their weights in any order; anything that is not plain RFC syntax stays
 * compared as Express would (nothing loosened); and the one preferred language of a request.
 */

const rfc = (value: string): string => selectingValue('accept-language', value, true)
const express = (value: string): string => selectingValue('accept-language', value)

describe("Accept-Language compared by its RFC 9110 meaning (acceptLanguage: 'rfc')", () => {
  it('shares values that differ in member order, range case, whitespace, weight spelling', () => {
    const same: [string, string][] = [
      ['en, de', 'de, en'],
      ['en;q=1.0, de', 'DE, en'],
      ['fr;q=0.5, de;q=1.0', 'de, fr;q=0.500'],
      ['en-US, en;q=0.8', 'en;q=0.80 , en-us'],
      ['en,,de', 'de, en'],
    ]
    for (const [a, b] of same) expect(rfc(a), `${a} ~ ${b}`).to.equal(rfc(b))
  })

  it('keeps apart values that differ in ranges or weights', () => {
    const apart: [string, string][] = [
      ['en, de', 'en, de;q=0.9'],
      ['en', 'en, de'],
      ['en;q=0', 'en'],
      ['en-us', 'en'],
      ['*', 'en'],
    ]
    for (const [a, b] of apart) expect(rfc(a), `${a} vs ${b}`).to.not.equal(rfc(b))
  })

  it('reads nothing loosely from a value that is not plain RFC syntax', () => {
    for (const value of ['en;q = 0.5, de', 'en;level=1, de', 'en;q=1.5', 'e n', 'en;q=0.5;x=1']) {
      expect(rfc(value), value).to.equal(express(value))
    }
  })

  it('property: two values compare equal exactly when their (range, weight) multisets are equal', () => {
    const range = fc.constantFrom('en', 'de', 'EN', 'en-US', 'fr', '*')
    const weight = fc.constantFrom('', ';q=1', ';q=1.0', ';q=0.5', ';q=0.50', ';q=0', ';q=0.001')
    const member = fc.tuple(range, weight).map(([r, w]) => `${r}${w}`)
    const value = fc.array(member, { minLength: 1, maxLength: 4 }).map((m) => m.join(', '))
    // An independent reading: lower-cased range and weight as a number, sorted.
    const meaning = (v: string): string =>
      JSON.stringify(
        v
          .split(',')
          .map((m) => m.trim().split(';q='))
          .map(([r = '', q]) => [r.toLowerCase(), q === undefined ? 1 : Number(q)])
          .sort(),
      )
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(rfc(a) === rfc(b), `${a} | ${b}`).to.equal(meaning(a) === meaning(b))
      }),
    )
  })

  it('finds the one language a request prefers over the others, and only that', () => {
    const table: [string | undefined, string | undefined][] = [
      ['fr;q=0.5, de;q=1.0', 'de'],
      ['de-CH, de;q=0.9', 'de-ch'],
      ['en, de', undefined], // a tie
      ['*, en;q=0.5', undefined], // the wildcard
      ['en;q=0', undefined], // nothing acceptable
      ['en; q=0.5, de', 'de'], // OWS after the ';' is RFC syntax (Express 4 misreads it)
      ['en;q = 0.5, de', undefined], // not RFC syntax: nothing read loosely
      [undefined, undefined],
    ]
    for (const [value, expected] of table) {
      expect(preferredLanguage(value), String(value)).to.equal(expected)
    }
    expect(languagePreferences(listMembers('en;q=0.123'))).to.deep.equal([{ range: 'en', q: 123 }])
  })
})
