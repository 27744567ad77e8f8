import { expect } from 'chai'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import request from 'supertest'
import type { Express } from 'express'
import { createCache, MemoryStore, type Cache, type InvalidateTarget } from '../../src/index.js'
import { cacheRoute } from '../../middleware/index.js'
import { deferred } from '../support/wait.js'
import { EXPRESS_VERSIONS } from './apps.js'

/**
 * `invalidateOnUnsafe` (RFC 9111 4.4) through real Express apps: the invalidation lands before
 * the unsafe request's response completes, covers unknown methods, and the same-origin
 * Location and Content-Location.
 */

/** Send one request with any method (supertest knows only the usual ones). */
async function send(app: Express, method: string, path: string): Promise<number> {
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  try {
    const { port } = server.address() as AddressInfo
    return await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
      req.on('error', reject)
      req.end()
    })
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`cacheRoute invalidateOnUnsafe on ${name}`, () => {
    let cache: Cache
    let app: Express
    let runs: number

    beforeEach(() => {
      cache = createCache({ store: new MemoryStore() })
      app = create()
      runs = 0
      app.get('/items/:id', cacheRoute(cache, { ttl: '1h' }), (req, res) => {
        runs++
        res.send(`${String(req.params['id'])} #${runs}`)
      })
    })
    afterEach(() => cache.close())

    const xCache = async (path: string) => (await request(app).get(path)).headers['x-cache']

    it('invalidates before the response is finished, so no later request can hit', async () => {
      let finished = false
      let finishedAtInvalidation: boolean | undefined
      const invalidate = cache.invalidate.bind(cache)
      cache.invalidate = async (target: InvalidateTarget) => {
        const count = await invalidate(target)
        finishedAtInvalidation = finished
        return count
      }
      app.post('/items/:id', cacheRoute(cache, { invalidateOnUnsafe: true }), (_req, res) => {
        res.on('finish', () => (finished = true))
        res.status(201).send('created')
      })
      await request(app).get('/items/1')
      const posted = await request(app).post('/items/1')
      expect(posted.status).to.equal(201)
      expect(posted.text).to.equal('created')
      expect(finishedAtInvalidation).to.equal(false)
      expect(await xCache('/items/1')).to.equal('MISS')
    })

    it('holds a streamed body (writes queue, then drain) until the invalidation settled', async () => {
      const gate = deferred()
      const entered = deferred()
      const invalidate = cache.invalidate.bind(cache)
      cache.invalidate = async (target: InvalidateTarget) => {
        entered.resolve()
        await gate.promise
        return invalidate(target)
      }
      let wroteAtOnce: boolean | undefined
      app.put('/items/:id', cacheRoute(cache, { invalidateOnUnsafe: true }), (_req, res) => {
        res.set('Content-Length', '4')
        wroteAtOnce = res.write('ab')
        if (wroteAtOnce) res.end('cd')
        else res.once('drain', () => res.end('cd'))
      })
      await request(app).get('/items/2')
      const put = request(app)
        .put('/items/2')
        .then((res) => res)
      await entered.promise
      expect(wroteAtOnce).to.equal(false)
      gate.resolve()
      expect((await put).text).to.equal('abcd')
      expect(await xCache('/items/2')).to.equal('MISS')
    })

    it('invalidates after unknown methods too, never after an error status', async () => {
      app.all('/items/:id', cacheRoute(cache, { invalidateOnUnsafe: true }), (req, res) => {
        res.status(req.headers['x-fail'] === undefined ? 200 : 500).send('done')
      })
      await request(app).get('/items/3')
      await request(app).post('/items/3').set('x-fail', '1')
      expect(await xCache('/items/3')).to.equal('HIT')
      expect(await send(app, 'M-SEARCH', '/items/3')).to.equal(200)
      expect(await xCache('/items/3')).to.equal('MISS')
    })

    it('invalidates the same-origin Location and Content-Location, relative ones included', async () => {
      app.post('/items/:id', cacheRoute(cache, { invalidateOnUnsafe: true }), (req, res) => {
        res
          .status(303)
          .set('Location', String(req.headers['x-location']))
          .set('Content-Location', String(req.headers['x-content-location']))
          .end()
      })
      for (const path of ['/items/4', '/items/5', '/items/6', '/items/7']) await xCache(path)
      await request(app)
        .post('/items/4')
        .set('x-location', '5')
        .set('x-content-location', 'http://elsewhere.example/items/6')
      expect(await xCache('/items/4')).to.equal('MISS')
      expect(await xCache('/items/5')).to.equal('MISS')
      expect(await xCache('/items/6')).to.equal('HIT')
      await request(app)
        .post('/items/4')
        .set('x-location', 'http://elsewhere.example/items/5')
        .set('x-content-location', '/items/7')
      expect(await xCache('/items/5')).to.equal('HIT')
      expect(await xCache('/items/7')).to.equal('MISS')
    })
  })
}
