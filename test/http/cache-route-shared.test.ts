import { expect } from 'chai'
import request from 'supertest'
import type { Express, Request, Response } from 'express'
import { createCache, InvalidOptionError, MemoryStore, type Cache } from '../../src/index.js'
import { cacheRoute } from '../../middleware/index.js'
import { record } from '../support/events.js'
import { sleep } from '../support/wait.js'
import { EXPRESS_VERSIONS } from './apps.js'

/**
 * `mode: 'shared'` through real Express apps: the origin's headers decide what is stored and
 * for how long (RFC 9111 sections 3 and 4.2), while the default mode keeps the route's ttl.
 */

const ttlOf = (res: { headers: Record<string, unknown> }): number =>
  Number(/ttl=(-?\d+)/.exec(String(res.headers['cache-status']))?.[1])

const httpDate = (offsetSeconds: number): string =>
  new Date(Date.now() + offsetSeconds * 1000).toUTCString()

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`cacheRoute mode 'shared' on ${name}`, () => {
    let cache: Cache
    let app: Express
    let runs: number

    beforeEach(() => {
      cache = createCache({ store: new MemoryStore() })
      app = create()
      runs = 0
    })
    afterEach(() => cache.close())

    /** A route answering with the given status and headers, counting origin runs. */
    const mount = (
      path: string,
      options: Parameters<typeof cacheRoute>[1],
      status: number,
      headers: Record<string, string>,
    ) =>
      app.get(path, cacheRoute(cache, options), (_req: Request, res: Response) => {
        runs++
        res.status(status).set(headers).send(`run ${runs}`)
      })

    const twice = async (path: string) => {
      await request(app).get(path)
      return request(app).get(path)
    }

    it('stores nothing the origin gives no lifetime (default mode stores it for ttl)', async () => {
      mount('/none', { mode: 'shared', ttl: '1h' }, 200, {})
      mount('/none-default', { ttl: '1h' }, 200, {})
      const skips = record(cache, 'cache:skip')
      expect((await twice('/none')).headers['x-cache']).to.equal('MISS')
      expect(skips.map((skip) => skip.reason)).to.include('no-freshness')
      expect((await twice('/none-default')).headers['x-cache']).to.equal('HIT')
      expect(runs).to.equal(3)
    })

    it('takes s-maxage over max-age over Expires, and stores any final status with one', async () => {
      mount('/s', { mode: 'shared' }, 200, { 'cache-control': 'max-age=600, s-maxage=30' })
      mount('/e', { mode: 'shared' }, 200, { expires: httpDate(120), date: httpDate(0) })
      mount('/rfc850', { mode: 'shared' }, 200, {
        expires: 'Sunday, 06-Nov-50 08:49:37 GMT',
      })
      mount('/503', { mode: 'shared' }, 503, { 'cache-control': 'max-age=60' })
      mount('/302', { mode: 'shared' }, 302, { 'cache-control': 'max-age=60', location: '/x' })
      expect(ttlOf(await twice('/s'))).to.be.within(25, 30)
      expect(ttlOf(await twice('/e'))).to.be.within(110, 120)
      expect((await twice('/rfc850')).headers['x-cache']).to.equal('HIT')
      const unavailable = await twice('/503')
      expect([unavailable.status, unavailable.headers['x-cache']]).to.deep.equal([503, 'HIT'])
      expect((await twice('/302')).status).to.equal(302)
      expect(runs).to.equal(5)
    })

    it('refuses what is stale on arrival: max-age=0, a malformed max-age, an Age past it', async () => {
      mount('/zero', { mode: 'shared' }, 200, { 'cache-control': 'max-age=0' })
      mount('/bad', { mode: 'shared', ttl: '1h' }, 200, { 'cache-control': 'max-age=-1' })
      mount('/old', { mode: 'shared' }, 200, { 'cache-control': 'max-age=3600', age: '7200' })
      mount('/bad-age', { mode: 'shared' }, 200, { 'cache-control': 'max-age=3600', age: '1, 2' })
      for (const path of ['/zero', '/bad', '/old', '/bad-age']) {
        expect((await twice(path)).headers['x-cache'], path).to.equal('MISS')
      }
      expect(runs).to.equal(8)
    })

    it("takes the origin's Age off the lifetime and adds it to Age on hits (4.2.3, 5.1)", async () => {
      const date = httpDate(-5)
      mount('/aged', { mode: 'shared' }, 200, { 'cache-control': 'max-age=600', age: '30', date })
      const hit = await twice('/aged')
      expect(hit.headers['x-cache']).to.equal('HIT')
      expect(ttlOf(hit)).to.be.within(560, 570)
      expect(Number(hit.headers['age'])).to.be.within(30, 40)
      // The origin's Date is its own: kept, not replaced by the time of storing.
      expect(hit.headers['date']).to.equal(date)
    })

    it('gives heuristic lifetimes only to heuristically cacheable statuses, capped by ttl', async () => {
      const lastModified = { 'last-modified': httpDate(-86_400) }
      mount('/h200', { mode: 'shared', ttl: '1m' }, 200, lastModified)
      mount('/h404', { mode: 'shared', ttl: '1h' }, 404, lastModified)
      mount('/h201', { mode: 'shared', ttl: '1h' }, 201, lastModified)
      mount('/h599', { mode: 'shared', ttl: '1h' }, 599, lastModified)
      mount('/public599', { mode: 'shared', ttl: '1h' }, 599, {
        ...lastModified,
        'cache-control': 'public',
      })
      expect(ttlOf(await twice('/h200'))).to.be.within(55, 60)
      expect((await twice('/h404')).headers['x-cache']).to.equal('HIT')
      expect((await twice('/h201')).headers['x-cache']).to.equal('MISS')
      expect((await twice('/h599')).headers['x-cache']).to.equal('MISS')
      expect((await twice('/public599')).headers['x-cache']).to.equal('HIT')
    })

    it('refuses must-understand on a status it does not know', async () => {
      mount('/mu', { mode: 'shared' }, 599, { 'cache-control': 'max-age=60, must-understand' })
      mount('/mu200', { mode: 'shared' }, 200, { 'cache-control': 'max-age=60, must-understand' })
      expect((await twice('/mu')).headers['x-cache']).to.equal('MISS')
      expect((await twice('/mu200')).headers['x-cache']).to.equal('HIT')
    })

    it('never serves a must-revalidate response stale, whatever staleWhileRevalidate says', async () => {
      const options = { mode: 'shared', staleWhileRevalidate: '1m' } as const
      mount('/mr', options, 200, { 'cache-control': 'max-age=1, must-revalidate' })
      mount('/plain', options, 200, { 'cache-control': 'max-age=1' })
      await request(app).get('/mr')
      await request(app).get('/plain')
      await sleep(1_100)
      expect((await request(app).get('/mr')).headers['x-cache']).to.equal('MISS')
      expect((await request(app).get('/plain')).headers['x-cache']).to.equal('STALE')
    })

    it('keeps lifetimes beyond ten years (stored for the longest the store takes)', async () => {
      mount('/forever', { mode: 'shared' }, 200, { 'cache-control': 'max-age=99999999999' })
      expect((await twice('/forever')).headers['x-cache']).to.equal('HIT')
    })

    it('leaves the default mode as it was: max-age=0 and a 404 follow the route', async () => {
      mount('/d0', { ttl: '1h' }, 200, { 'cache-control': 'max-age=0' })
      mount('/d404', { ttl: '1h' }, 404, { 'cache-control': 'max-age=60' })
      expect(ttlOf(await twice('/d0'))).to.be.within(3_590, 3_600)
      expect((await twice('/d404')).headers['x-cache']).to.equal('MISS')
    })

    it('rejects an unknown mode and originTtl: false beside shared mode', () => {
      const bad = { mode: 'cdn' } as unknown as Parameters<typeof cacheRoute>[1]
      expect(() => cacheRoute(cache, bad)).to.throw(InvalidOptionError, /"mode"/)
      expect(() => cacheRoute(cache, { mode: 'shared', originTtl: false })).to.throw(
        InvalidOptionError,
        /"originTtl"/,
      )
    })
  })
}
