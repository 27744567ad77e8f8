import { expect } from 'chai'
import fc from 'fast-check'
import type { IncomingHttpHeaders } from 'node:http'
import { createRequire } from 'node:module'
import { listMembers, selectingValue } from '../../middleware/http/selecting.js'
import { routeKey, urlParts, type RouteRequest } from '../../middleware/route/key.js'

/**
 * Shared mode compares selecting header fields as RFC 9111 4.1 allows. The property that
 * matters: two values compare equal only if the handler cannot select differently from them,
 * judged by Express's own negotiation (negotiator 1.x under Express 5, 0.6 under Express 4) for
 * the Accept fields, and by the bytes for credentials and single-line fields.
 */

type Negotiator = new (req: { headers: IncomingHttpHeaders }) => {
  languages(available?: string[]): string[]
  mediaTypes(available?: string[]): string[]
  charsets(available?: string[]): string[]
}
const require5 = createRequire(import.meta.url)
const require4 = createRequire(require5.resolve('express4/package.json'))
const NEGOTIATORS = [
  require5('negotiator') as Negotiator,
  require4(require4.resolve('negotiator', { paths: [require4.resolve('accepts')] })) as Negotiator,
]

const LANGUAGES = ['de', 'en', 'en-US', 'fr', 'EN-gb']
const TYPES = ['text/html', 'application/json', 'text/plain;level=1', 'TEXT/HTML']
const CHARSETS = ['utf-8', 'iso-8859-1', 'UTF-8']

/** What each Express version negotiates from a value, offering each list in both orders. */
function negotiated(name: string, value: string): string {
  const offers = (list: string[]) => [list, [...list].reverse()]
  return JSON.stringify(
    NEGOTIATORS.map((N) => {
      const n = new N({ headers: { [name]: value } })
      if (name === 'accept-language') return offers(LANGUAGES).map((l) => n.languages(l))
      if (name === 'accept') return offers(TYPES).map((l) => n.mediaTypes(l))
      return offers(CHARSETS).map((l) => n.charsets(l))
    }),
  )
}

/** The semantic value of a list field: its members, by an independent reading (a regex). */
function members(value: string): string[] {
  const parts = value.match(/(?:"(?:[^"\\]|\\.)*"?|[^,"])+|(?<=^|,)(?=,|$)/g) ?? []
  return parts.map((part) => part.replace(/^[ \t]+|[ \t]+$/g, ''))
}

/** What a handler can tell apart for a field: negotiation, list members, or the bytes. */
function observed(name: string, value: string): string {
  if (['accept-language', 'accept', 'accept-charset'].includes(name)) {
    return negotiated(name, value) + JSON.stringify(members(value).map(rangeCaseless(name)))
  }
  if (name === 'x-list') return JSON.stringify(members(value))
  return value
}

/** Accept-Language ranges compare without case; parameters and other fields as they are. */
const rangeCaseless = (name: string) => (member: string) => {
  if (name !== 'accept-language') return member
  const [range = '', ...rest] = member.split(';')
  return [range.replace(/[ \t]+$/, '').replace(/[A-Z]/g, (c) => c.toLowerCase()), ...rest].join(';')
}

const FIELDS = ['accept-language', 'accept', 'accept-charset', 'x-list', 'authorization', 'cookie']
const ITEMS = [
  'en',
  'EN',
  'de',
  'De',
  'en-US',
  'en-us',
  'fr',
  '*',
  'text/html',
  'TEXT/html',
  'application/json',
  'utf-8',
  'UTF-8',
  '"a, b"',
  '"a,b"',
  '"x\\"y, z"',
  'K',
  '\u212A',
  'a\\',
  '',
]
const PARAMS = [
  '',
  ';q=0.5',
  '; q=0.5',
  ';Q=0.5',
  ';q=1.0',
  ';q=0',
  ' ;q=0.5',
  ';level=1',
  ';x="a, b"',
]
const SEPARATORS = [',', ', ', ' ,', ' , ', '\t,\t', ',  ']
const member = fc
  .tuple(fc.constantFrom(...ITEMS), fc.constantFrom(...PARAMS))
  .map((p) => p.join(''))
const value = fc
  .array(fc.tuple(member, fc.constantFrom(...SEPARATORS)), { minLength: 1, maxLength: 4 })
  .map((list) => list.map(([m, sep], i) => (i === 0 ? m : sep + m)).join(''))

/** Edits a normalising cache might be tempted to merge. */
const MUTATIONS: readonly ((v: string) => string)[] = [
  (v) => v,
  (v) => v.replace(/ *, */g, ','),
  (v) => v.replace(/,/g, ' , '),
  (v) => v.replace(/[a-z]/, (c) => c.toUpperCase()),
  (v) => v.replace(/[A-Z]/, (c) => c.toLowerCase()),
  (v) => v.replace(';', '; '),
  (v) => v.replace('q=', 'Q='),
  (v) => v.replace('", ', '",'),
  (v) => v.replace(/"a, b"/, '"a,  b"'),
  (v) => v.split(',').reverse().join(','),
  (v) => v.replace(',,', ','),
  (v) => v.replace('K', '\u212A'),
]
const pair = fc
  .tuple(
    fc.constantFrom(...FIELDS),
    value,
    fc.nat(MUTATIONS.length - 1),
    fc.nat(MUTATIONS.length - 1),
  )
  .map(([name, a, m1, m2]) => {
    const b = (MUTATIONS[m2] ?? ((v: string) => v))((MUTATIONS[m1] ?? ((v: string) => v))(a))
    return [name, a, b] as const
  })

describe('selecting header fields compared as a shared cache may (RFC 9111 4.1)', () => {
  it('drops whitespace around list commas, keeps it inside quoted strings', () => {
    expect(selectingValue('foo', '1,2')).to.equal(selectingValue('foo', ' 1, 2 '))
    expect(selectingValue('foo', '1, 2')).to.equal('1,2')
    expect(selectingValue('foo', '"a, b", c')).to.equal('"a, b",c')
    expect(selectingValue('foo', '"a, b"')).to.not.equal(selectingValue('foo', '"a,b"'))
    expect(selectingValue('foo', '"a\\", b" ,c')).to.equal('"a\\", b",c')
    expect(listMembers('a,,b')).to.deep.equal(['a', '', 'b'])
    expect(listMembers('"open, ')).to.deep.equal(['"open, '])
  })

  it('lower-cases Accept-Language ranges only, never their parameters, never their order', () => {
    const lang = (v: string) => selectingValue('accept-language', v)
    expect(lang('eN, De')).to.equal(lang('en, de'))
    expect(lang(' en ,   de')).to.equal(lang('en, de'))
    expect(lang('en-US;q=0.5')).to.equal('en-us;q=0.5')
    // Express 4 reads both as q=1, unlike "en;q=0.5".
    expect(lang('en; q=0.5')).to.not.equal(lang('en;q=0.5'))
    expect(lang('en;Q=0.5')).to.not.equal(lang('en;q=0.5'))
    // Equal weights: Express picks by order.
    expect(lang('en, de')).to.not.equal(lang('de, en'))
    // Selecting by Content-Language needs the handler's offers, which a cache cannot know.
    expect(lang('fr;q=0.5, de;q=1.0')).to.not.equal(lang('en, de'))
    // ASCII only: the Kelvin sign lower-cases to "k" in Unicode, not in a language tag.
    expect(lang('\u212A')).to.not.equal(lang('k'))
  })

  it('keeps credentials and single-line fields byte for byte', () => {
    for (const name of ['authorization', 'cookie', 'user-agent', 'referer']) {
      expect(selectingValue(name, 'A, b')).to.equal('A, b')
      expect(selectingValue(name, 'a,b')).to.not.equal(selectingValue(name, 'a, b'))
    }
  })

  it('Express negotiates the order-only difference differently (why it stays in the key)', () => {
    const first = (v: string) =>
      NEGOTIATORS.map(
        (N) => new N({ headers: { 'accept-language': v } }).languages(['de', 'en'])[0],
      )
    expect(first('en, de')).to.deep.equal(['en', 'en'])
    expect(first('de, en')).to.deep.equal(['de', 'de'])
  })

  it('property: two values compare equal only if the handler observes the same', () => {
    let merged = 0
    fc.assert(
      fc.property(pair, ([name, a, b]) => {
        if (selectingValue(name, a) !== selectingValue(name, b)) return true
        if (a !== b) merged++
        return observed(name, a) === observed(name, b)
      }),
      { numRuns: 5_000 },
    )
    expect(merged, 'some different values are merged').to.be.greaterThan(200)
  })

  it('property: values that differ by list whitespace (and range case) always share', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('accept-language', 'accept', 'x-list'),
        fc.array(member, { minLength: 1, maxLength: 4 }),
        fc.array(fc.constantFrom(...SEPARATORS), { minLength: 4, maxLength: 4 }),
        (name, list, seps) => {
          const a = list.join(',')
          const b = list.map((m, i) => (i === 0 ? m : (seps[i] ?? ',') + m)).join('')
          return selectingValue(name, a) === selectingValue(name, b)
        },
      ),
    )
  })

  it('property: two requests whose shared-mode keys are equal select the same, field by field', () => {
    const VARY = ['accept', 'accept-language', 'authorization', 'x-list']
    const keyOf = (headers: Record<string, string>) => {
      const req = { url: '/', originalUrl: '/', headers: { host: 'h', ...headers }, socket: {} }
      return routeKey(urlParts(req as RouteRequest), req as RouteRequest, VARY, true)
    }
    const requests = fc.tuple(
      fc.dictionary(fc.constantFrom(...VARY), value),
      fc.array(fc.tuple(fc.constantFrom(...VARY), fc.nat(MUTATIONS.length - 1)), { maxLength: 3 }),
    )
    let shared = 0
    fc.assert(
      fc.property(requests, ([a, edits]) => {
        const b = { ...a }
        for (const [name, m] of edits) {
          if (b[name] !== undefined) b[name] = (MUTATIONS[m] ?? ((v: string) => v))(b[name])
        }
        if (keyOf(a) !== keyOf(b)) return true
        shared++
        return VARY.every((name) =>
          a[name] === undefined || b[name] === undefined
            ? a[name] === b[name]
            : observed(name, a[name]) === observed(name, b[name]),
        )
      }),
      { numRuns: 2_000 },
    )
    expect(shared).to.be.greaterThan(100)
  })
})
