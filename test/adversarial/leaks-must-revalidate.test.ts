/**
 * Attacks on shared mode's one extension of the credential rules: RFC 9111 3.5 lets a shared
 * cache store a response to an `Authorization` request marked `must-revalidate`. herdlock
 * accepts it only in shared mode, only when Authorization is the request's one credential, only
 * while the response is fresh by its own explicit lifetime (never the route's ttl, never a
 * heuristic), and never serves it stale. Everything else an origin might send a user must stay
 * that user's.
 */
import { expect } from 'chai'
import type { Express, Request, Response } from 'express'
import type { Cache } from '../../src/index.js'
import { cacheRoute, type CacheRouteOptions } from '../../middleware/index.js'
import { Live, TARGETS } from './support.js'

/** Route options that would stretch any stored response as far as they can. */
const GREEDY: CacheRouteOptions = {
  mode: 'shared',
  ttl: '1h',
  staleWhileRevalidate: '1h',
  staleIfError: '1h',
}

const HOUR_AGO = new Date(Date.now() - 3_600_000).toUTCString()

/** Responses a user may get that must never reach anyone else, whatever their must-revalidate says. */
const PERSONAL: readonly { name: string; headers: Record<string, string> }[] = [
  { name: 'max-age=0', headers: { 'cache-control': 'max-age=0, must-revalidate' } },
  {
    name: 'no lifetime, heuristic bait',
    headers: { 'cache-control': 'must-revalidate', 'last-modified': HOUR_AGO },
  },
  {
    name: 'a past Expires',
    headers: { 'cache-control': 'must-revalidate', expires: HOUR_AGO },
  },
  {
    name: 'an invalid Expires',
    headers: { 'cache-control': 'must-revalidate', expires: '0' },
  },
  {
    name: 'used up by Age',
    headers: { 'cache-control': 'max-age=60, must-revalidate', age: '60' },
  },
  { name: 'private', headers: { 'cache-control': 'max-age=600, must-revalidate, private' } },
  { name: 'no-cache', headers: { 'cache-control': 'max-age=600, must-revalidate, no-cache' } },
  { name: 'no-store', headers: { 'cache-control': 'max-age=600, must-revalidate, no-store' } },
  {
    name: 'Set-Cookie',
    headers: { 'cache-control': 'max-age=600, must-revalidate', 'set-cookie': 'sid=1' },
  },
  {
    name: 'Vary: Authorization',
    headers: { 'cache-control': 'max-age=600, must-revalidate', vary: 'Authorization' },
  },
  { name: 'proxy-revalidate', headers: { 'cache-control': 'max-age=600, proxy-revalidate' } },
  { name: 'misspelled', headers: { 'cache-control': 'max-age=600, must-revalidat' } },
]

for (const target of TARGETS) {
  describe(`adversarial: must-revalidate never leaks a personal response (${target.name})`, () => {
    let cache: Cache
    let app: Express
    let live: Live | undefined
    let runs: number

    beforeEach(() => {
      cache = target.createCache()
      app = target.createApp()
      runs = 0
    })
    afterEach(async () => {
      await live?.close()
      live = undefined
      await cache.close()
    })

    const start = async (): Promise<Live> => (live = await Live.start(app))
    const who = (req: Request): string =>
      [req.headers['authorization'], req.headers['cookie']].filter(Boolean).join(' + ') || 'nobody'
    const personal = (headers: Record<string, string>) => (req: Request, res: Response) => {
      runs++
      res.set(headers).send(`account of ${who(req)}`)
    }

    it('stores none of the responses an Authorization request gets that are not fresh, shareable must-revalidate ones', async () => {
      PERSONAL.forEach((c, i) => app.get(`/p${i}`, cacheRoute(cache, GREEDY), personal(c.headers)))
      const server = await start()
      for (const [i, c] of PERSONAL.entries()) {
        await server.get(`/p${i}`, { authorization: 'Bearer alice' })
        const bob = await server.get(`/p${i}`, { authorization: 'Bearer bob' })
        expect(bob.text, `${c.name} to bob`).to.equal('account of Bearer bob')
        const anonymous = await server.get(`/p${i}`)
        expect(anonymous.text, `${c.name} to anonymous`).to.equal('account of nobody')
      }
    })

    it('shares nothing must-revalidate when the request also carries a personal Cookie, or only one', async () => {
      const fresh = { 'cache-control': 'max-age=600, must-revalidate' }
      app.get('/both', cacheRoute(cache, GREEDY), personal(fresh))
      app.get('/cookie', cacheRoute(cache, GREEDY), personal(fresh))
      const server = await start()
      await server.get('/both', { authorization: 'Bearer alice', cookie: 'sid=alice' })
      expect((await server.get('/both')).text).to.equal('account of nobody')
      await server.get('/cookie', { cookie: 'sid=alice' })
      expect((await server.get('/cookie')).text).to.equal('account of nobody')
    })

    it('shares nothing must-revalidate in the default mode', async () => {
      const fresh = { 'cache-control': 'max-age=600, must-revalidate' }
      app.get('/default', cacheRoute(cache, { ...GREEDY, mode: 'default' }), personal(fresh))
      const server = await start()
      await server.get('/default', { authorization: 'Bearer alice' })
      expect((await server.get('/default')).text).to.equal('account of nobody')
    })

    it('serves a stored must-revalidate response to no other Authorization request', async () => {
      const fresh = { 'cache-control': 'max-age=600, must-revalidate' }
      app.get('/doc', cacheRoute(cache, GREEDY), personal(fresh))
      const server = await start()
      await server.get('/doc')
      const alice = await server.get('/doc', { authorization: 'Bearer alice' })
      expect(alice.text).to.equal('account of Bearer alice')
      expect(runs).to.equal(2)
    })

    it("shares a fresh must-revalidate response for its own lifetime, not the route's ttl, and never stale", async function () {
      this.timeout(10_000)
      let version = 1
      app.get('/report', cacheRoute(cache, GREEDY), (_req, res) => {
        runs++
        if (version === 1) res.set('cache-control', 'max-age=1, must-revalidate').send('v1')
        else res.status(503).set('cache-control', 'no-store').send('down')
      })
      const server = await start()
      await server.get('/report', { authorization: 'Bearer alice' })
      const hit = await server.get('/report')
      expect(hit.text).to.equal('v1')
      expect(hit.headers['x-cache']).to.equal('HIT')
      const ttl = Number(/ttl=(-?\d+)/.exec(String(hit.headers['cache-status']))?.[1])
      expect(ttl).to.be.at.most(1)
      version = 2
      // Past its one second, the copy is stale: the origin answers, even its 503, although the
      // route would serve stale for an hour (stale-while-revalidate and stale-if-error).
      await expiry(1_100)
      const after = await server.get('/report')
      expect(after.status).to.equal(503)
      expect(after.text).to.equal('down')
      expect(runs).to.equal(2)
    })
  })
}

/** Let a lifetime run out (the wait is the point: nothing is synchronised on it). */
function expiry(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
