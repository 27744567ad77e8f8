import { expect } from 'chai'
import type { NextFunction, Request, Response } from 'express'
import request from 'supertest'
import { cacheRoute } from '../../middleware/index.js'
import { EXPRESS_VERSIONS, useMemoryRoutes } from './apps.js'

/**
 * Review of the forced lookups of cacheRoute (2656962..main): `refresh(req)` and the request
 * directives `no-cache`/`max-age`/`min-fresh` now refresh through cacheFn `forceFresh`, which,
 * with a response stored, reaches the origin through a subrequest (run through the middleware
 * ahead of the cache again) instead of through the request itself.
 */

const { create } = EXPRESS_VERSIONS[0]!

/**
 * A limiter mounted ahead of the cache that answers the `nth` request it sees (counting the
 * subrequests the cache makes, as express-rate-limit does) with `status`.
 */
function limiterAnswering(nth: number, status: number, counter: { seen: number }) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    counter.seen++
    if (counter.seen === nth) {
      res.status(status).set('cache-control', 'no-store').send('slow down')
      return
    }
    next()
  }
}

describe('review: forced lookups (refresh, no-cache) and what answers the subrequest', () => {
  const t = useMemoryRoutes(create)

  const mount = (counter: { seen: number }, nth: number, status: number): void => {
    t.app.use(limiterAnswering(nth, status, counter))
    t.app.get(
      '/f',
      cacheRoute(t.cache, { ttl: '1h', requestDirectives: { revalidate: true } }),
      (_req: Request, res: Response) => {
        t.runs++
        res.set('cache-control', 'max-age=3600').send(`v${t.runs}`)
      },
    )
  }

  it('finding: a no-cache whose subrequest a limiter ahead answers (429) leaves the stored response to other clients', async () => {
    const counter = { seen: 0 }
    // seen 1: the first GET; seen 2: the no-cache request; seen 3: its subrequest (429).
    mount(counter, 3, 429)
    await request(t.app).get('/f')
    const asked = await request(t.app).get('/f').set('cache-control', 'no-cache')
    expect(asked.status, 'the asking client, let through by the limiter').to.equal(200)
    const other = await request(t.app).get('/f')
    // The 429 is stored as a pass marker (route passTtl, 5 s by default) over the fresh entry:
    // every client goes to the origin until it expires.
    expect([other.headers['x-cache'], other.text]).to.deep.equal(['HIT', 'v1'])
  })

  it('finding: a no-cache client the limiter let through is not answered with the 503 it gave the subrequest', async () => {
    const counter = { seen: 0 }
    mount(counter, 3, 503)
    await request(t.app).get('/f')
    const asked = await request(t.app).get('/f').set('cache-control', 'no-cache')
    // revalidate() throws OriginError for any 5xx of the subrequest, reached or not (see
    // origin-request.ts ownAnswer): lookup replays it to the client as the origin's error.
    expect([asked.status, asked.text]).to.deep.equal([200, 'v2'])
  })

  it('suspicion: a no-cache request is counted once by the middleware ahead of the cache (as before the change)', async () => {
    const counter = { seen: 0 }
    mount(counter, Infinity, 429)
    await request(t.app).get('/f')
    const before = counter.seen
    await request(t.app).get('/f').set('cache-control', 'no-cache')
    // Delete-then-lookup sent the request itself; forceFresh sends a subrequest through the
    // whole chain again: a browser reload (max-age=0) now costs two limiter tokens.
    expect(counter.seen - before).to.equal(1)
  })
})

describe('review: forced lookups with variants, credentials, outages', () => {
  const t = useMemoryRoutes(create)
  let failing = false
  beforeEach(() => {
    failing = false
  })

  const mountVarying = (): void => {
    t.app.get(
      '/v',
      cacheRoute(t.cache, {
        ttl: '1h',
        staleIfError: '1h',
        requestDirectives: true,
        refresh: (req) => req.headers['x-refresh'] === 'yes',
      }),
      (req: Request, res: Response) => {
        t.runs++
        if (failing) return res.status(503).send('down')
        const lang = String(req.headers['accept-language'])
        res.set({ 'cache-control': 'public, max-age=3600', vary: 'Accept-Language' })
        res.send(`${lang} ${t.runs}`)
      },
    )
  }
  const get = (lang: string, headers: Record<string, string> = {}) =>
    request(t.app)
      .get('/v')
      .set({ 'accept-language': lang, ...headers })

  it('guard: refresh and no-cache replace only the asking variant, never serve another', async () => {
    mountVarying()
    await get('en')
    await get('fr')
    expect((await get('en', { 'x-refresh': 'yes' })).text).to.equal('en 3')
    expect((await get('fr', { 'cache-control': 'no-cache' })).text).to.equal('fr 4')
    expect([(await get('en')).text, (await get('fr')).text]).to.deep.equal(['en 3', 'fr 4'])
  })

  it('finding (low): refresh of a varying response during an outage serves the kept variant labelled STALE, not HIT', async () => {
    mountVarying()
    await get('en')
    await get('fr')
    failing = true
    // refresh forces the base key (the vary pointer): the pointer falls back (stale-if-error),
    // then the variant is read as a plain hit, so the client is told HIT although the origin
    // failed (no-cache forces the variant key itself and says STALE).
    const en = await get('en', { 'x-refresh': 'yes' })
    const fr = await get('fr', { 'cache-control': 'no-cache' })
    expect([en.headers['x-cache'], en.text, fr.headers['x-cache'], fr.text]).to.deep.equal([
      'STALE',
      'en 1',
      'STALE',
      'fr 2',
    ])
    expect([(await get('en')).text, (await get('fr')).text]).to.deep.equal(['en 1', 'fr 2'])
  })

  it('guard: a credentialed no-cache request neither gets a stored copy nor leaves its own', async () => {
    t.app.get(
      '/p',
      cacheRoute(t.cache, { ttl: '1h', staleIfError: '1h', requestDirectives: true }),
      (req: Request, res: Response) => {
        t.runs++
        res
          .set('cache-control', 'max-age=3600')
          .send(`${req.headers.authorization ?? 'anon'} ${t.runs}`)
      },
    )
    await request(t.app).get('/p')
    const mine = await request(t.app)
      .get('/p')
      .set({ authorization: 'Bearer alice', 'cache-control': 'no-cache' })
    expect(mine.text).to.equal('Bearer alice 2')
    expect((await request(t.app).get('/p')).text).to.equal('anon 1')
  })

  it('pre-existing: a client that sends no-store with the refresh trigger gets its exchange stored', async () => {
    t.app.get(
      '/ns',
      cacheRoute(t.cache, {
        ttl: '1h',
        requestDirectives: true,
        refresh: (req) => req.headers['x-refresh'] === 'yes',
      }),
      (_req: Request, res: Response) => {
        t.runs++
        res.set('cache-control', 'max-age=3600').send(`v${t.runs}`)
      },
    )
    await request(t.app).get('/ns')
    await request(t.app).get('/ns').set({ 'x-refresh': 'yes', 'cache-control': 'no-store' })
    // RFC 9111 5.2.1.5: nothing of a no-store exchange is stored; refresh skips the directives.
    expect((await request(t.app).get('/ns')).text).to.equal('v1')
  })
})
