import { expect } from 'chai'
import request from 'supertest'
import type { Express, Request, Response } from 'express'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
import { cacheRoute } from '../../middleware/index.js'
import { EXPRESS_VERSIONS } from './apps.js'

/**
 * Targeted cache control and Range hits through real Express apps: `Herdlock-Cache-Control`
 * speaks to herdlock alone and never reaches a client; `Surrogate-Control` targeted at herdlock
 * governs shared mode; a stored 200 answers a byte range with 206 or 416.
 */

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`cacheRoute targeted fields and ranges on ${name}`, () => {
    let cache: Cache
    let app: Express
    let runs: number

    beforeEach(() => {
      cache = createCache({ store: new MemoryStore() })
      app = create()
      runs = 0
    })
    afterEach(() => cache.close())

    // The default mode takes a lifetime from the origin with originTtl only.
    const modes = [{ originTtl: true }, { mode: 'shared' }] as const
    for (const options of modes) {
      it(`Herdlock-Cache-Control gives the lifetime and is never sent (${JSON.stringify(options)})`, async () => {
        const route = cacheRoute(cache, { ...options, invalidateOnUnsafe: true })
        app.all('/own', route, (_req, res) => {
          runs++
          res.set('Cache-Control', 'no-store').set('Herdlock-Cache-Control', 'max-age=60')
          res.send(`own ${runs}`)
        })
        const miss = await request(app).get('/own')
        const hit = await request(app).get('/own')
        const posted = await request(app).post('/own')
        for (const res of [miss, hit, posted]) {
          expect(res.headers['herdlock-cache-control']).to.equal(undefined)
          expect(res.headers['cache-control']).to.equal('no-store')
        }
        expect(hit.headers['x-cache']).to.equal('HIT')
        expect(Number(/ttl=(\d+)/.exec(String(hit.headers['cache-status']))?.[1])).to.be.within(
          55,
          60,
        )
        expect(runs).to.equal(2)
      })
    }

    it('honours Surrogate-Control targeted at herdlock in shared mode only', async () => {
      const seen: string[] = []
      const handler = (req: Request, res: Response) => {
        runs++
        seen.push(String(req.headers['surrogate-capability']))
        const token = String(req.headers['surrogate-capability']).split('=')[0]
        res.set('Cache-Control', 'no-store').set('Surrogate-Control', `max-age=60;${token}`)
        res.send(`surrogate ${runs}`)
      }
      app.get('/sc', cacheRoute(cache, { mode: 'shared' }), handler)
      app.get('/sc-default', cacheRoute(cache), handler)
      expect((await request(app).get('/sc')).headers['x-cache']).to.equal('MISS')
      const hit = await request(app).get('/sc')
      expect(hit.headers['x-cache']).to.equal('HIT')
      expect(seen[0]).to.equal('herdlock="Surrogate/1.0"')
      await request(app).get('/sc-default')
      expect((await request(app).get('/sc-default')).headers['x-cache']).to.equal('MISS')
      expect(runs).to.equal(3)
    })

    it('lets Surrogate-Control no-store forbid what Cache-Control allows (shared mode)', async () => {
      app.get('/sc-no-store', cacheRoute(cache, { mode: 'shared' }), (_req, res) => {
        runs++
        res.set('Cache-Control', 'max-age=600').set('Surrogate-Control', 'no-store').send('x')
      })
      await request(app).get('/sc-no-store')
      expect((await request(app).get('/sc-no-store')).headers['x-cache']).to.equal('MISS')
    })

    it('answers a byte range of a stored 200 with 206, 416 past its end, 200 on an If-Range miss', async () => {
      app.get('/bytes', cacheRoute(cache, { ttl: '1h' }), (_req, res) => {
        runs++
        res.set('ETag', '"v1"').send('0123456789A')
      })
      const first = await request(app).get('/bytes').set('Range', 'bytes=0-1')
      expect(first.status).to.be.oneOf([200, 206])
      const part = await request(app).get('/bytes').set('Range', 'bytes=0-1')
      expect([part.status, part.text, part.headers['content-range']]).to.deep.equal([
        206,
        '01',
        'bytes 0-1/11',
      ])
      expect(part.headers['x-cache']).to.equal('HIT')
      const suffix = await request(app).get('/bytes').set('Range', 'bytes=-1')
      expect([suffix.status, suffix.text]).to.deep.equal([206, 'A'])
      const beyond = await request(app).get('/bytes').set('Range', 'bytes=20-')
      expect([beyond.status, beyond.headers['content-range']]).to.deep.equal([416, 'bytes */11'])
      const changed = await request(app)
        .get('/bytes')
        .set('Range', 'bytes=0-1')
        .set('If-Range', '"v0"')
      expect([changed.status, changed.text]).to.deep.equal([200, '0123456789A'])
      expect(runs).to.equal(1)
    })
  })
}
