import { expect } from 'chai'
import compression from 'compression'
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'
import request from 'supertest'
import type { Express } from 'express'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
import { cacheRoute } from '../../middleware/index.js'
import { nextEvent } from '../support/events.js'
import { sleep } from '../support/wait.js'
import { EXPRESS_VERSIONS } from './apps.js'
import { rawGet } from './raw-get.js'

const BODY = JSON.stringify({
  table: Array.from({ length: 200 }, (_, i) => ({ team: `Team ${i}`, points: i })),
})

/** The body as the client would read it: decoded per Content-Encoding (throws on a mismatch). */
function decoded(res: { headers: Record<string, unknown>; body: Buffer }): string {
  switch (res.headers['content-encoding']) {
    case 'gzip':
      return gunzipSync(res.body).toString()
    case 'br':
      return brotliDecompressSync(res.body).toString()
    case 'deflate':
      return inflateSync(res.body).toString()
    default:
      return res.body.toString()
  }
}

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`cacheRoute with compression and stale serving on ${name}`, () => {
    let cache: Cache
    let app: Express
    let runs: number

    beforeEach(() => {
      cache = createCache({ store: new MemoryStore() })
      app = create()
      runs = 0
    })
    afterEach(() => cache.close())

    for (const order of ['compression before cacheRoute', 'compression after cacheRoute']) {
      it(`never sends a Content-Encoding that does not match the bytes (${order})`, async () => {
        const handler = (
          _req: unknown,
          res: { type(t: string): { send(b: string): void } },
        ): void => {
          runs++
          res.type('application/json').send(BODY)
        }
        if (order.endsWith('before cacheRoute'))
          app.get('/table', compression(), cacheRoute(cache), handler)
        else app.get('/table', cacheRoute(cache), compression(), handler)
        const clients = [
          { accept: 'gzip', encoded: true },
          { accept: 'identity', encoded: false },
          { accept: 'gzip, deflate, br', encoded: true },
          { accept: 'identity', encoded: false },
          { accept: 'gzip', encoded: true },
          { accept: 'gzip, deflate, br', encoded: true },
        ]
        for (const client of clients) {
          const res = await rawGet(app, '/table', { 'accept-encoding': client.accept })
          expect(res.status).to.equal(200)
          expect(decoded(res)).to.equal(BODY)
          const encoding = res.headers['content-encoding']
          expect(encoding !== undefined, `${client.accept} → ${encoding}`).to.equal(client.encoded)
          if (encoding !== undefined) expect(client.accept).to.include(encoding)
        }
        // One origin run per distinct encoding at most (identity, gzip, br), often one in all.
        expect(runs).to.be.at.most(3)
      })
    }

    it('serves stale at once within staleWhileRevalidate and refreshes in the background', async () => {
      // The origin sets each entry's lifetime: the first expires in 1 s, the refreshed one lasts,
      // so the final read cannot find it stale again on a slow machine.
      const route = cacheRoute(cache, { originTtl: true, staleWhileRevalidate: '1m' })
      app.get('/swr', route, (_req, res) => {
        runs++
        res.set('Cache-Control', runs === 1 ? 'max-age=1' : 'max-age=60').send(`v${runs}`)
      })
      expect((await request(app).get('/swr')).text).to.equal('v1')
      await sleep(1_100)
      const refreshed = nextEvent(cache, 'cache:set')
      const stale = await request(app).get('/swr')
      expect(stale.headers['x-cache']).to.equal('STALE')
      expect(stale.headers['cache-status']).to.match(/^herdlock; hit; ttl=-\d+; detail=stale$/)
      expect(stale.text).to.equal('v1')
      await refreshed
      const fresh = await request(app).get('/swr')
      expect(fresh.headers['x-cache']).to.equal('HIT')
      expect(fresh.text).to.equal('v2')
      expect(runs).to.equal(2)
    })

    it('serves stale when the origin answers 5xx or throws within staleIfError', async () => {
      let mode: 'ok' | '500' | 'throw' = 'ok'
      app.get('/sie', cacheRoute(cache, { ttl: 50, staleIfError: '1m' }), (_req, res, next) => {
        runs++
        if (mode === 'throw') return next(new Error('origin exploded'))
        if (mode === '500') return res.status(500).send('broken')
        res.send(`good ${runs}`)
      })
      expect((await request(app).get('/sie')).text).to.equal('good 1')
      await sleep(70)
      mode = '500'
      const afterFiveHundred = await request(app).get('/sie')
      expect(afterFiveHundred.status).to.equal(200)
      expect(afterFiveHundred.headers['x-cache']).to.equal('STALE')
      expect(afterFiveHundred.text).to.equal('good 1')
      mode = 'throw'
      const afterThrow = await request(app).get('/sie')
      expect(afterThrow.status).to.equal(200)
      expect(afterThrow.text).to.equal('good 1')
      mode = 'ok'
      const recovered = await request(app).get('/sie')
      expect(recovered.text).to.match(/^good \d$/)
      expect(recovered.headers['x-cache']).to.equal('MISS')
    })

    it('passes the origin error through when no stale response may stand in', async () => {
      app.get('/err', cacheRoute(cache, { ttl: 50 }), (_req, res) => {
        runs++
        if (runs === 1) return res.send('once')
        res.status(503).send('down')
      })
      await request(app).get('/err')
      await sleep(70)
      const down = await request(app).get('/err')
      expect(down.status).to.equal(503)
      expect(down.text).to.equal('down')
    })
  })
}
