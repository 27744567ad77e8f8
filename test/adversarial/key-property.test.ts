import { expect } from 'chai'
import express from 'express'
import express4 from 'express4'
import type { Express, Request, Response } from 'express'
import fc from 'fast-check'
import type { IncomingHttpHeaders } from 'node:http'
import { createRequire } from 'node:module'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
import { cacheRoute } from '../../middleware/index.js'
import { routeKey, urlParts, type RouteRequest } from '../../middleware/route/key.js'
import { rawClient } from './key-client.js'

/**
 * Key canonicalisation as a property: two requests share a route key ONLY IF the handler
 * observes the same method, Host, target (`originalUrl`, so path and raw query), parsed query
 * under Express 4's qs parser and Express 5's parser, and varied header values. Pairs are built
 * as near-duplicates (one request and a mutation of it that a normalising cache would merge),
 * so the property is tried exactly where keys are at risk of colliding.
 */

const parseurl = createRequire(import.meta.url)('parseurl') as (req: { url: string }) => {
  query: string | null
  pathname: string | null
}
const queryOf4 = express4().get('query parser fn') as (query: string) => unknown
const queryOf5 = express().get('query parser fn') as (query: string) => unknown

const VARY = ['accept-language', 'x-user']

interface Spec {
  readonly target: string
  readonly headers: Readonly<Record<string, string>>
}

/** Everything a handler can observe of a request that the route's key must account for. */
function observed(spec: Spec): string {
  const lower = lowerNames(spec.headers)
  return JSON.stringify([
    'GET',
    lower['host'] ?? null,
    spec.target,
    ...parsedTarget(spec.target),
    VARY.map((name) => lower[name] ?? null),
  ])
}

/**
 * Path and query as Express parses them. A target Node's URL parser rejects (a malformed escape
 * in an authority-looking `//…@…` prefix throws URIError) never reaches a handler: Express
 * answers it with an error, so what is observed is that error, the same for equal targets.
 */
function parsedTarget(target: string): unknown[] {
  try {
    const url = parseurl({ url: target })
    const query = url.query ?? ''
    return [url.pathname, queryOf4(query), queryOf5(query)]
  } catch (error) {
    return ['unparsable', String(error)]
  }
}

function lowerNames(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
}

/** The key the route cache gives a request; undefined when it is never cached. */
function keyOf(spec: Spec): string | undefined {
  const headers: IncomingHttpHeaders = lowerNames(spec.headers)
  const req = { url: spec.target, originalUrl: spec.target, headers, socket: {} } as RouteRequest
  const parts = urlParts(req)
  return parts.hostValid === false ? undefined : routeKey(parts, req, VARY)
}

// Bytes a request target is made of, reserved and escaped ones over-represented.
const unit = fc.oneof(
  fc.constantFrom('a', 'b', 'A', '~', '-', '.', '_', '!', '$', "'", '(', ')', '*', ','),
  fc.constantFrom('/', ';', ':', '@', '+', '=', '&', '[', ']', '"', '<', '>', '`', '{', '}'),
  fc.constantFrom('%20', '%2B', '%2b', '%2F', '%2f', '%23', '%26', '%3D', '%5B', '%5D', '%61'),
  fc.constantFrom('%ff', '%FF', '%c3%28', '%EF%BF%BD', '%zz', '%', '%4', '%C3%A9', '%00'),
  fc.constantFrom('é', '☃', '\u{1F600}'),
)
const word = fc.array(unit, { maxLength: 4 }).map((units) => units.join(''))
const param = fc
  .tuple(
    fc.constantFrom('a', 'a[]', 'a[b]', 'a%5B%5D', 'b', 'B', '__proto__', 'x.y', ''),
    fc.option(word, { nil: undefined }),
  )
  .map(([name, value]) => (value === undefined ? name : `${name}=${value}`))
const target = fc
  .record({
    path: fc.array(word, { minLength: 1, maxLength: 3 }),
    query: fc.option(fc.array(param, { maxLength: 4 }), { nil: undefined }),
    fragment: fc.option(word, { nil: undefined }),
  })
  .map(
    ({ path, query, fragment }) =>
      `/${path.join('/')}${query === undefined ? '' : `?${query.join('&')}`}` +
      (fragment === undefined ? '' : `#${fragment}`),
  )
const host = fc.constantFrom(
  'victim.example',
  'Victim.Example',
  'victim.example:8080',
  'victim.example:80',
  'victim.example:@evil.com',
  'user@victim.example',
  'victim.example/x',
  '[::1]:3000',
  '127.0.0.1',
)
const headerValue = fc.constantFrom('en', 'en ', 'en,fr', 'en, fr', 'en,  fr', 'EN', '', 'tok1')
const headers = fc
  .record(
    {
      host,
      'accept-language': headerValue,
      'x-user': headerValue,
      'x-unkeyed': headerValue,
    },
    { requiredKeys: ['host'] },
  )
  .map((record) => record as Record<string, string>)
const spec = fc.record({ target, headers })

/** Edits a normalising cache would treat as "the same request". */
const MUTATIONS: readonly ((text: string) => string)[] = [
  (t) => t,
  (t) => t.replace(/%([0-9a-f]{2})/i, (_, hex: string) => `%${hex.toUpperCase()}`),
  (t) => t.replace(/%([0-9A-F]{2})/i, (_, hex: string) => `%${hex.toLowerCase()}`),
  (t) => t.replace(/%([0-9A-Fa-f]{2})/, (_, hex: string) => safeChar(hex)),
  (t) => t.replace(/[a~!*'()]/, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
  (t) => t.replace('#', '%23'),
  (t) => t.replace('%23', '#'),
  (t) => t.replace('+', '%20'),
  (t) => t.replace('%20', '+'),
  (t) => t.replace('[]', '%5B%5D'),
  (t) => swapQuery(t),
  (t) => (t.includes('?') ? `${t}&` : `${t}?`),
  (t) => t.replace(/\/$/, '') + '/',
]

function safeChar(hex: string): string {
  const code = parseInt(hex, 16)
  return code > 0x20 && code < 0x7f && code !== 0x25 ? String.fromCharCode(code) : `%${hex}`
}

function swapQuery(t: string): string {
  const [head = '', query] = t.split('?', 2)
  if (query === undefined) return t
  const params = query.split('&')
  if (params.length < 2) return t
  ;[params[0], params[1]] = [params[1] ?? '', params[0] ?? '']
  return `${head}?${params.join('&')}`
}

const HEADER_MUTATIONS: readonly ((h: Record<string, string>) => Record<string, string>)[] = [
  (h) => h,
  (h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v])),
  (h) => ({ ...h, host: (h['host'] ?? '').toLowerCase() }),
  (h) => ({ ...h, host: (h['host'] ?? '').replace(/:\d+$/, '') }),
  (h) => ({ ...h, 'x-unkeyed': 'changed' }),
  (h) => {
    const copy = { ...h }
    delete copy['x-user']
    return copy
  },
  (h) => ({ ...h, 'x-user': (h['x-user'] ?? '').replace(/\s+/g, ' ') }),
]

const pair = fc
  .tuple(spec, fc.nat(MUTATIONS.length - 1), fc.nat(HEADER_MUTATIONS.length - 1), fc.boolean())
  .map(([a, m, h, both]) => {
    const mutate = MUTATIONS[m] ?? ((t: string) => t)
    const mutateHeaders = HEADER_MUTATIONS[h] ?? ((x: Record<string, string>) => x)
    const b: Spec = {
      target: mutate(a.target),
      headers: both ? mutateHeaders(a.headers) : a.headers,
    }
    return [a, b] as const
  })

const PURE_RUNS = 5_000
const HTTP_RUNS = 60

describe('property: requests share a route key only if the handler observes the same', () => {
  it(`holds for ${PURE_RUNS} generated near-duplicate pairs (key function)`, () => {
    let shared = 0
    let distinct = 0
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const keyA = keyOf(a)
        const keyB = keyOf(b)
        if (keyA === undefined || keyB === undefined || keyA !== keyB) {
          distinct++
          return true
        }
        shared++
        return observed(a) === observed(b)
      }),
      { numRuns: PURE_RUNS },
    )
    // Not vacuous: identical and header-name-case twins share, real differences do not.
    expect(shared).to.be.greaterThan(PURE_RUNS / 20)
    expect(distinct).to.be.greaterThan(PURE_RUNS / 4)
  })

  it('never caches a Host with userinfo, a path or a second colon', () => {
    fc.assert(
      fc.property(spec, (s) => {
        const h = s.headers['host'] ?? ''
        return !/[@/]|:.*:/.test(h) || h.startsWith('[') || keyOf(s) === undefined
      }),
      { numRuns: 500 },
    )
  })

  for (const [name, create] of [
    ['Express 5', () => express()],
    ['Express 4', () => express4() as unknown as Express],
  ] as const) {
    it(`holds through a real ${name} app: a hit echoes what the handler sees (${HTTP_RUNS} pairs)`, async function () {
      this.timeout(120_000)
      const cache: Cache = createCache({ store: new MemoryStore() })
      const app = create()
      const echo = (req: Request, res: Response) => {
        res.send(
          JSON.stringify([
            req.get('host') ?? null,
            req.originalUrl,
            req.path,
            req.query,
            VARY.map((h) => req.get(h) ?? null),
          ]),
        )
      }
      const route = cacheRoute(cache, {
        ttl: '1m',
        vary: VARY,
        bypass: (req) => req.headers['x-probe'] === '1',
      })
      app.use(route, echo)
      const client = await rawClient(app)
      let hits = 0
      try {
        await fc.assert(
          fc.asyncProperty(
            pair.filter(([a, b]) => sendable(a) && sendable(b)),
            async ([a, b]) => {
              await client.get(a.target, { ...a.headers })
              const reply = await client.get(b.target, { ...b.headers })
              if (reply.headers['x-cache'] !== 'HIT') return true
              hits++
              const own = await client.get(b.target, { ...b.headers, 'x-probe': '1' })
              return reply.text === own.text
            },
          ),
          { numRuns: HTTP_RUNS },
        )
        expect(hits).to.be.greaterThan(0)
      } finally {
        await client.close()
        await cache.close()
      }
    })
  }
})

/** Whether Node's client can send the request as is (it refuses bytes outside latin1/ASCII). */
function sendable(s: Spec): boolean {
  return (
    /^[\x21-\x7e]*$/.test(s.target) &&
    Object.values(s.headers).every((v) => /^[\x20-\x7e]*$/.test(v))
  )
}
