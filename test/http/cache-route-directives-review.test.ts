import { expect } from 'chai'
import type { Express, Request, Response } from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
import { cacheRoute, type CacheRouteOptions } from '../../middleware/index.js'
import { deferred, sleep } from '../support/wait.js'
import { EXPRESS_VERSIONS } from './apps.js'

/**
 * Review of the request-directive change (f46f6c1..main): attempts to break it. Each test states
 * what the change promises (options.ts TSDoc, the commit messages) and fails where it does not
 * hold.
 */

const { create } = EXPRESS_VERSIONS[0]!

/** The families options.ts documents as "Adds no origin load". */
const NO_ORIGIN_LOAD: CacheRouteOptions['requestDirectives'] = {
  onlyIfCached: true,
  maxStale: true,
  noStore: true,
}

describe('cacheRoute review: request directives and the answers of subrequests', () => {
  let cache: Cache
  let app: Express
  let server: Server | undefined
  let runs = 0
  let sets = 0

  beforeEach(() => {
    cache = createCache({ store: new MemoryStore() })
    cache.on('cache:set', () => sets++)
    app = create()
    server = undefined
    runs = 0
    sets = 0
  })
  afterEach(async () => {
    const open = server
    if (open !== undefined) await new Promise((resolve) => open.close(resolve))
    await cache.close()
  })

  /** Listen on a free port (closed after the test); the base URL. */
  const listen = async (): Promise<string> => {
    const listening = app.listen(0, '127.0.0.1')
    server = listening
    await new Promise((resolve) => listening.once('listening', resolve))
    return `http://127.0.0.1:${(listening.address() as AddressInfo).port}`
  }

  describe('review: request directives that promise "no origin load"', () => {
    it('no-store on a miss: each goes to the origin alone (documented), the plain request still collapses and stores', async () => {
      const gate = deferred()
      let waiting = deferred()
      app.get(
        '/herd',
        cacheRoute(cache, { ttl: '1h', requestDirectives: NO_ORIGIN_LOAD }),
        async (_req: Request, res: Response) => {
          runs++
          waiting.resolve()
          await gate.promise
          res.set('cache-control', 'max-age=3600').send(`v${runs}`)
        },
      )
      const leader = request(app)
        .get('/herd')
        .then((r) => r)
      await waiting.promise
      const herd: Promise<request.Response>[] = []
      for (let i = 0; i < 3; i++) {
        waiting = deferred()
        herd.push(
          request(app)
            .get('/herd')
            .set('cache-control', 'no-store')
            .then((r) => r),
        )
        await waiting.promise // this no-store request reached the handler by itself
      }
      const follower = request(app)
        .get('/herd')
        .then((r) => r)
      gate.resolve()
      const [first, ...rest] = await Promise.all([leader, ...herd, follower])
      expect(runs, 'the leader and each no-store request').to.equal(4)
      expect(rest.slice(0, 3).map((r) => r.headers['cache-status'])).to.deep.equal(
        Array(3).fill('herdlock; fwd=bypass; detail=no-store'),
      )
      // The plain follower collapsed onto the leader; the stored response is the leader's.
      expect(rest[3]?.text).to.equal(first?.text)
      expect((await request(app).get('/herd')).text).to.equal(first?.text)
    })

    it('no-store during the stale-while-revalidate window does not send every request to the origin', async () => {
      app.get(
        '/swr',
        cacheRoute(cache, {
          ttl: 50,
          staleWhileRevalidate: '1m',
          requestDirectives: NO_ORIGIN_LOAD,
        }),
        (_req: Request, res: Response) => {
          runs++
          res.send(`v${runs}`)
        },
      )
      await request(app).get('/swr')
      await sleep(80)
      for (let i = 0; i < 5; i++) await request(app).get('/swr').set('cache-control', 'no-store')
      // A plain client gets STALE and one background refresh; no-store clients reach the origin
      // every time, and since nothing refreshes the entry, for the whole window.
      expect(runs, 'origin runs: 1 store + at most 1 refresh').to.be.at.most(2)
    })

    it('only-if-cached during the stale-while-revalidate window gets what a plain request gets, not a 504', async () => {
      app.get(
        '/oic',
        cacheRoute(cache, {
          ttl: 50,
          staleWhileRevalidate: '1m',
          requestDirectives: NO_ORIGIN_LOAD,
        }),
        (_req: Request, res: Response) => {
          runs++
          res.send(`v${runs}`)
        },
      )
      await request(app).get('/oic')
      await sleep(80)
      const res = await request(app).get('/oic').set('cache-control', 'only-if-cached')
      expect(res.status).to.equal(200)
    })
  })

  describe('review: max-stale and entries the docs say are never served stale', () => {
    it('max-stale never serves a must-revalidate response stale (default mode)', async () => {
      app.get(
        '/mr',
        cacheRoute(cache, { ttl: 50, staleIfError: '1m', requestDirectives: { maxStale: true } }),
        (_req: Request, res: Response) => {
          runs++
          res.set('cache-control', 'max-age=3600, must-revalidate').send(`v${runs}`)
        },
      )
      await request(app).get('/mr')
      await sleep(80)
      const res = await request(app).get('/mr').set('cache-control', 'max-stale')
      // options.ts: "never a must-revalidate, proxy-revalidate, s-maxage or credentialed one".
      expect([res.headers['x-cache'], res.text]).to.deep.equal(['MISS', 'v2'])
    })
  })

  describe('review: no-cache (revalidate) while the origin is down', () => {
    let failing: boolean

    beforeEach(() => {
      failing = false
    })

    it("one client's no-cache during an outage does not take the stored response from every other client", async () => {
      app.get(
        '/down',
        cacheRoute(cache, {
          ttl: '1h',
          staleIfError: '1h',
          requestDirectives: { revalidate: true },
        }),
        (_req: Request, res: Response) => {
          if (failing) return res.status(503).send('down')
          res.send('good')
        },
      )
      await request(app).get('/down')
      failing = true
      await request(app).get('/down').set('cache-control', 'no-cache')
      const other = await request(app).get('/down')
      expect([other.status, other.text]).to.deep.equal([200, 'good'])
    })
  })

  describe('review: the own answer of a conditional request (shared mode)', () => {
    let base = ''
    const get = (path: string) => request(base).get(path)
    const BIG = 'x'.repeat(4096)

    it('a full answer too large to store reaches its client whole (not an empty 200)', async function () {
      this.timeout(10_000)
      app.get(
        '/big',
        cacheRoute(cache, { mode: 'shared', ttl: '1m', maxBodySize: 1024 }),
        (_req: Request, res: Response) => {
          runs++
          res.set('cache-control', 'max-age=1').send(runs === 1 ? 'small' : BIG)
        },
      )
      base = await listen()
      await get('/big')
      while (sets < 2) await sleep(10) // the response and its revalidation record
      await sleep(1_100)
      const reply = await get('/big')
      expect(reply.status).to.equal(200)
      expect(reply.text.length, 'body length').to.equal(BIG.length)
    })

    it('a full answer too large to store reaches its client whole after stale-if-error revalidation', async function () {
      this.timeout(10_000)
      app.get(
        '/big-sie',
        cacheRoute(cache, { ttl: 50, staleIfError: '1m', maxBodySize: 1024 }),
        (_req: Request, res: Response) => {
          runs++
          res.send(runs === 1 ? 'small' : BIG)
        },
      )
      base = await listen()
      await get('/big-sie')
      await sleep(80)
      const reply = await get('/big-sie')
      expect(reply.status).to.equal(200)
      expect(reply.text.length, 'body length').to.equal(BIG.length)
    })
  })

  describe('review: the own answer when middleware ahead of the cache answers the subrequest', () => {
    it("a rate limiter's 429 to the conditional request is not the answer of a client it let through", async function () {
      this.timeout(10_000)
      // A per-client limiter mounted app-wide, ahead of the cache (express-rate-limit's shape):
      // the subrequest runs through it again and is counted as one more request of that client.
      let seen = 0
      app.use((_req: Request, res: Response, next: () => void) => {
        seen++
        if (seen > 2) return res.status(429).set('cache-control', 'no-store').send('slow down')
        next()
      })
      app.get(
        '/limited',
        cacheRoute(cache, { mode: 'shared', ttl: '1m' }),
        (_req: Request, res: Response) => {
          runs++
          res.set('cache-control', 'max-age=1').send(`v${runs}`)
        },
      )
      const base = await listen()
      const get = (path: string) => request(base).get(path)
      await get('/limited') // seen 1
      while (sets < 2) await sleep(10)
      await sleep(1_100)
      const reply = await get('/limited') // seen 2: let through; its subrequest is seen 3
      expect([reply.status, reply.text]).to.deep.equal([200, 'v2'])
    })
  })

  describe('review: the own answer never reaches a collapsed follower', () => {
    it('followers of a request whose conditional request got a personal answer get their own', async function () {
      this.timeout(10_000)
      let runs = 0
      app.get(
        '/mine',
        cacheRoute(cache, { mode: 'shared', ttl: '1m' }),
        async (_req: Request, res: Response) => {
          runs++
          const run = runs
          if (run === 1) return res.set('cache-control', 'max-age=1').send('shared')
          await sleep(150)
          res
            .set({ 'cache-control': 'no-store', 'set-cookie': `sid=${run}` })
            .send(`personal ${run}`)
        },
      )
      const base = await listen()
      const get = (path: string) =>
        request(base)
          .get(path)
          .then((r) => r)
      await get('/mine')
      while (sets < 2) await sleep(10)
      await sleep(1_100)
      const replies = await Promise.all([get('/mine'), get('/mine'), get('/mine')])
      const bodies = replies.map((r) => r.text)
      const cookies = replies.map((r) => String(r.headers['set-cookie']))
      expect(new Set(bodies).size, bodies.join(' | ')).to.equal(3)
      expect(new Set(cookies).size, cookies.join(' | ')).to.equal(3)
    })
  })

  describe('review: HEAD answers as GET would', () => {
    it('HEAD with max-stale, only-if-cached gets the stale response a GET gets, not a 504', async () => {
      let runs = 0
      app.get(
        '/h',
        cacheRoute(cache, { ttl: 50, staleIfError: '1m', requestDirectives: true }),
        (_req: Request, res: Response) => {
          runs++
          res.send(`v${runs}`)
        },
      )
      await request(app).get('/h')
      await sleep(80)
      const directives = { 'cache-control': 'max-stale, only-if-cached' }
      const get = await request(app).get('/h').set(directives)
      const head = await request(app).head('/h').set(directives)
      expect([get.status, get.headers['x-cache']]).to.deep.equal([200, 'STALE'])
      expect(head.status, 'HEAD').to.equal(get.status)
    })
  })

  describe('review: credentialed requests and max-stale (guard: passes)', () => {
    it('never serves a stale or personal entry to a credentialed request, nor stale from one', async () => {
      let runs = 0
      app.get(
        '/c',
        cacheRoute(cache, { ttl: 50, staleIfError: '1m', requestDirectives: true }),
        (_req: Request, res: Response) => {
          runs++
          res.set('cache-control', 'public, max-age=1').send(`v${runs}`)
        },
      )
      await request(app).get('/c')
      await sleep(80)
      const asUser = await request(app)
        .get('/c')
        .set({ 'cache-control': 'max-stale, only-if-cached', authorization: 'Bearer u' })
      expect(asUser.status).to.equal(504)
      // Stored from the credentialed request (public): no stale window, so never served stale.
      await request(app).get('/c?u').set('authorization', 'Bearer u')
      await sleep(1_100)
      const anon = await request(app).get('/c?u').set('cache-control', 'max-stale, only-if-cached')
      expect(anon.status).to.equal(504)
    })
  })
})
