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
 * Shared mode revalidates (RFC 9111 4.3): a stale response with a validator is kept, the next
 * request asks the origin conditionally (as an anonymous subrequest), and a 304 refreshes the
 * kept response's fields and freshness; `no-cache` responses are kept and revalidated on every
 * use. The default mode does none of it.
 */

const SHARED: CacheRouteOptions = { mode: 'shared', ttl: '1m' }

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`cacheRoute revalidation in shared mode on ${name}`, () => {
    let cache: Cache
    let app: Express
    let server: Server
    let seen: { inm?: string; ims?: string; auth?: string }[]
    let sets: number
    let waiters: { total: number; resolve: () => void }[]

    beforeEach(() => {
      cache = createCache({ store: new MemoryStore() })
      waiters = []
      cache.on('cache:set', () => {
        sets++
        waiters = waiters.filter((w) => (sets >= w.total ? void w.resolve() : true))
      })
      app = create()
      seen = []
      sets = 0
    })
    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve))
      await cache.close()
    })

    const listen = async () => {
      server = app.listen(0, '127.0.0.1')
      await new Promise((resolve) => server.once('listening', resolve))
    }
    const get = (path: string, headers: Record<string, string> = {}) =>
      request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
        .get(path)
        .set(headers)
    const note = (req: Request) =>
      seen.push({
        ...(req.headers['if-none-match'] === undefined
          ? {}
          : { inm: req.headers['if-none-match'] }),
        ...(req.headers['if-modified-since'] === undefined
          ? {}
          : { ims: req.headers['if-modified-since'] }),
        ...(req.headers.authorization === undefined ? {} : { auth: req.headers.authorization }),
      })
    /** Resolves once `total` entries were written in all (a response, then its record). */
    const written = (total: number): Promise<void> =>
      sets >= total ? Promise.resolve() : new Promise((resolve) => waiters.push({ total, resolve }))

    it("revalidates a stale response with Express's own ETag: a 304 refreshes its fields and lifetime", async function () {
      this.timeout(10_000)
      let version = 'A'
      app.get('/doc', cacheRoute(cache, SHARED), (req: Request, res: Response) => {
        note(req)
        res.set('cache-control', 'max-age=1').set('x-version', version).send('the same body')
      })
      await listen()
      const first = get('/doc')
      expect((await first).text).to.equal('the same body')
      await written(2)
      version = 'B'
      await sleep(1_100)
      const second = await get('/doc')
      expect(second.status).to.equal(200)
      expect(second.text).to.equal('the same body')
      expect(second.headers['x-version']).to.equal('B')
      expect(second.headers['cache-status']).to.equal('herdlock; fwd=stale; stored')
      expect(seen).to.have.length(2)
      expect(seen[1]?.inm).to.equal(second.headers['etag'])
      const third = await get('/doc')
      expect(third.headers['x-cache']).to.equal('HIT')
      expect(third.headers['x-version']).to.equal('B')
      expect(seen).to.have.length(2)
    })

    it('revalidates with If-Modified-Since, and a full answer replaces the kept response', async function () {
      this.timeout(10_000)
      const lm = 'Wed, 01 Jan 2020 00:00:00 GMT'
      let body = 'v1'
      app.get('/lm', cacheRoute(cache, SHARED), (req: Request, res: Response) => {
        note(req)
        res.set('cache-control', 'max-age=1, must-revalidate').set('last-modified', lm)
        if (req.headers['if-modified-since'] === lm && body === 'v1') return res.status(304).end()
        res.send(body)
      })
      app.set('etag', false)
      await listen()
      await get('/lm')
      await written(2)
      await sleep(1_100)
      expect((await get('/lm')).text).to.equal('v1')
      expect(seen[1]).to.deep.equal({ ims: lm })
      await written(4)
      body = 'v2'
      await sleep(1_100)
      expect((await get('/lm')).text).to.equal('v2')
      expect((await get('/lm')).headers['x-cache']).to.equal('HIT')
      expect(seen).to.have.length(3)
    })

    it('keeps a no-cache response only to revalidate it on every use', async () => {
      app.get('/nc', cacheRoute(cache, SHARED), (req: Request, res: Response) => {
        note(req)
        res.set('cache-control', 'max-age=600, no-cache').set('etag', '"v1"')
        if (req.headers['if-none-match'] === '"v1"') return res.status(304).end()
        res.send('checked every time')
      })
      await listen()
      await get('/nc')
      await written(1)
      for (let i = 0; i < 2; i++) {
        const reply = await get('/nc')
        expect(reply.text).to.equal('checked every time')
        expect(reply.headers['x-cache']).to.equal('MISS')
      }
      expect(seen).to.deep.equal([{}, { inm: '"v1"' }, { inm: '"v1"' }])
    })

    it('a request collapsed onto a no-cache response revalidates it, never asks unconditionally', async () => {
      const gate = deferred()
      const first = deferred()
      const second = deferred()
      let arrivals = 0
      // Resolved as the second request enters the cache, which joins the running flight
      // synchronously, before this promise's reaction runs.
      app.use('/ncc', (_req: Request, _res: Response, next: () => void) => {
        if (++arrivals === 2) second.resolve()
        next()
      })
      app.get('/ncc', cacheRoute(cache, SHARED), async (req: Request, res: Response) => {
        note(req)
        first.resolve()
        await gate.promise
        res.set('cache-control', 'no-cache').set('etag', '"v1"')
        if (req.headers['if-none-match'] === '"v1"') return res.status(304).end()
        res.send('checked every time')
      })
      await listen()
      const leader = get('/ncc').then((r) => r)
      await first.promise
      const follower = get('/ncc').then((r) => r)
      await second.promise
      gate.resolve()
      const replies = await Promise.all([leader, follower])
      expect(replies.map((r) => r.text)).to.deep.equal(Array(2).fill('checked every time'))
      expect(seen).to.deep.equal([{}, { inm: '"v1"' }])
    })

    it("never takes a 304's Set-Cookie into what it shares, and a 304 turning private is not shared", async function () {
      this.timeout(10_000)
      let turn: 'cookie' | 'private' = 'cookie'
      app.get('/c', cacheRoute(cache, SHARED), (req: Request, res: Response) => {
        note(req)
        res.set('cache-control', 'max-age=1').set('etag', '"c"')
        if (req.headers['if-none-match'] !== '"c"') return res.send(`full ${seen.length}`)
        if (turn === 'cookie') res.set('set-cookie', 'sid=secret')
        else res.set('cache-control', 'private, max-age=60')
        res.status(304).end()
      })
      await listen()
      await get('/c')
      await written(2)
      await sleep(1_100)
      const refreshed = await get('/c')
      expect(refreshed.headers['set-cookie']).to.equal(undefined)
      expect(refreshed.text).to.equal('full 1')
      await written(4)
      turn = 'private'
      await sleep(1_100)
      // The 304 said private: not stored, and the client gets the origin's own full answer.
      const personal = await get('/c')
      expect(personal.text).to.equal('full 4')
      expect(seen.map((s) => s.inm ?? '')).to.deep.equal(['', '"c"', '"c"', ''])
    })

    it('runs the handler once when the conditional request gets a full, unstorable answer', async function () {
      this.timeout(10_000)
      app.get('/once', cacheRoute(cache, SHARED), (req: Request, res: Response) => {
        note(req)
        if (seen.length === 1) return res.set('cache-control', 'max-age=1').send('shared')
        res.set('cache-control', 'no-store').send(`personal ${seen.length}`)
      })
      await listen()
      await get('/once')
      await written(2)
      await sleep(1_100)
      const reply = await get('/once')
      expect([reply.text, reply.headers['cache-status']]).to.deep.equal([
        'personal 2',
        'herdlock; fwd=uri-miss; detail=not-storable',
      ])
      // The conditional request was the only one: the client did not make the origin run again.
      expect(seen).to.have.length(2)
      expect(seen[1]?.inm).to.be.a('string') // Express's own ETag of 'shared'
      expect((await get('/once')).text).to.equal('personal 3')
    })

    it('asks the origin as nobody: the conditional request carries no credential', async function () {
      this.timeout(10_000)
      app.get('/anon', cacheRoute(cache, { ...SHARED, ignoreCookies: ['_ga'] }), (req, res) => {
        note(req)
        res.set('cache-control', 'max-age=1').set('etag', '"x"').send('x')
      })
      await listen()
      await get('/anon', { cookie: '_ga=1' })
      await written(2)
      await sleep(1_100)
      await get('/anon', { cookie: '_ga=2' })
      expect(seen[1]).to.deep.equal({ inm: '"x"' })
    })

    it("leaves the client's connection alone when the handler reads the subrequest to its end (a proxy)", async function () {
      this.timeout(10_000)
      app.get('/proxied', cacheRoute(cache, SHARED), (req: Request, res: Response) => {
        note(req)
        req.resume()
        req.once('end', () => {
          res.set('cache-control', 'max-age=1').set('etag', '"p"')
          if (req.headers['if-none-match'] === '"p"') res.status(304).end()
          else res.send('piped')
        })
      })
      await listen()
      await get('/proxied')
      await written(2)
      await sleep(1_100)
      const reply = await get('/proxied')
      expect(reply.text).to.equal('piped')
      expect(seen[1]).to.deep.equal({ inm: '"p"' })
    })

    it('does none of it in the default mode', async function () {
      this.timeout(10_000)
      app.get('/d', cacheRoute(cache, { ttl: 1_000 }), (req: Request, res: Response) => {
        note(req)
        res.set('cache-control', 'no-cache').set('etag', '"d"').send('d')
      })
      await listen()
      await get('/d')
      await get('/d')
      expect(seen).to.deep.equal([{}, {}])
    })
  })
}
