import { expect } from 'chai'
import type { NextFunction, Request, Response } from 'express'
import request from 'supertest'
import { cacheRoute } from '../../middleware/index.js'
import { EXPRESS_VERSIONS, useMemoryRoutes } from './apps.js'

/**
 * Review of the forced lookups of cacheRoute (2656962..main): `refresh(req)` and the request
 * directives `no-cache`/`max-age`/`min-fresh` refresh through cacheFn `forceFresh`: the request
 * itself goes to the origin (once through the middleware ahead), or, in shared mode with a
 * validator kept, a conditional subrequest does; what middleware ahead answers a subrequest is
 * never the origin's answer.
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
  /** Resolves once the response and its revalidation record are written. */
  const waitForRecord = async (): Promise<void> => {
    let sets = 0
    await new Promise<void>((resolve) =>
      t.cache.on('cache:set', () => {
        if (++sets === 2) resolve()
      }),
    )
  }

  const mount = (
    counter: { seen: number },
    nth: number,
    status: number,
    mode: 'default' | 'shared' = 'shared',
  ): void => {
    t.app.use(limiterAnswering(nth, status, counter))
    t.app.get(
      '/f',
      cacheRoute(t.cache, { mode, ttl: '1h', requestDirectives: { revalidate: true } }),
      (_req: Request, res: Response) => {
        t.runs++
        res.set('cache-control', 'max-age=3600').send(`v${t.runs}`)
      },
    )
  }

  it('finding: a no-cache whose subrequest a limiter ahead answers (429) leaves the stored response to other clients', async () => {
    const counter = { seen: 0 }
    // Shared mode keeps Express's ETag: the no-cache request's refresh is a conditional
    // subrequest. seen 1: the first GET; seen 2: the no-cache request; seen 3: its subrequest.
    mount(counter, 3, 429)
    const recorded = waitForRecord()
    await request(t.app).get('/f')
    await recorded
    const asked = await request(t.app).get('/f').set('cache-control', 'no-cache')
    // Not the origin's answer: the client's own request goes on to the handler.
    expect([asked.status, asked.text], 'the asking client').to.deep.equal([200, 'v2'])
    const other = await request(t.app).get('/f')
    // Neither the 429 nor a pass marker covers the fresh entry.
    expect([other.headers['x-cache'], other.text]).to.deep.equal(['HIT', 'v1'])
  })

  it('finding: a no-cache client the limiter let through is not answered with the 503 it gave the subrequest', async () => {
    const counter = { seen: 0 }
    mount(counter, 3, 503)
    const recorded = waitForRecord()
    await request(t.app).get('/f')
    await recorded
    const asked = await request(t.app).get('/f').set('cache-control', 'no-cache')
    // A 5xx from ahead of the route is not the origin's error: the handler answers the client.
    expect([asked.status, asked.text]).to.deep.equal([200, 'v2'])
  })

  it('suspicion: a no-cache request is counted once by the middleware ahead of the cache (as before the change)', async () => {
    const counter = { seen: 0 }
    mount(counter, Infinity, 429, 'default')
    await request(t.app).get('/f')
    const before = counter.seen
    await request(t.app).get('/f').set('cache-control', 'no-cache')
    // Without a kept validator the request itself goes to the origin: one limiter token.
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
    // Both force their own variant; their own requests reach the failing origin and get its
    // answer, while every other client keeps the stored variants.
    const en = await get('en', { 'x-refresh': 'yes' })
    const fr = await get('fr', { 'cache-control': 'no-cache' })
    expect([en.status, en.text, fr.status, fr.text]).to.deep.equal([503, 'down', 503, 'down'])
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
