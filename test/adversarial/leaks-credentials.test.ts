/**
 * Attacks on the credential rules: one user's authenticated or session page must never reach
 * another user, whatever the response's Cache-Control says and whatever the route varies on.
 */
import { expect } from 'chai'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidOptionError } from '../../src/index.js'
import { cacheRoute, type CacheRouteOptions } from '../../middleware/index.js'
import { TARGETS, useTarget } from './support.js'

for (const target of TARGETS) {
  describe(`adversarial: credentials never leak (${target.name})`, () => {
    const t = useTarget(target)
    let runs = 0
    beforeEach(() => {
      runs = 0
    })
    const who = (req: { headers: Record<string, string | string[] | undefined> }): string =>
      String(req.headers['authorization'] ?? req.headers['cookie'] ?? 'nobody')

    it('never shares an authenticated response that is "public, max-age=0" or must-revalidate', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'herdlock-adv-'))
      try {
        for (const user of ['alice', 'bob'])
          writeFileSync(join(dir, `${user}.txt`), `file of ${user}`)
        const directives = [
          'public, max-age=0',
          'max-age=0, must-revalidate',
          'public, must-revalidate',
        ]
        directives.forEach((cc, i) =>
          t.app.get(`/cc${i}`, cacheRoute(t.cache, { ttl: '1h' }), (req, res) => {
            runs++
            res.set('Cache-Control', cc).send(`secret of ${who(req)}`)
          }),
        )
        // res.sendFile and res.download send "Cache-Control: public, max-age=0" by default.
        t.app.get('/file', cacheRoute(t.cache, { ttl: '1h' }), (req, res) => {
          runs++
          const user = /alice/.test(who(req)) ? 'alice' : 'bob'
          res.sendFile(join(dir, `${user}.txt`))
        })
        const server = await t.start()
        for (const path of [...directives.map((_, i) => `/cc${i}`), '/file']) {
          await server.get(path, { authorization: 'Bearer alice' })
          const bob = await server.get(path, { authorization: 'Bearer bob' })
          expect(bob.text, `${path} to bob`).to.not.include('alice')
          const anonymous = await server.get(path)
          expect(anonymous.text, `${path} to anonymous`).to.not.include('alice')
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })

    it("keeps an authenticated shareable response only for the origin's own lifetime, never the route ttl", async () => {
      t.app.get('/pub', cacheRoute(t.cache, { ttl: '1h' }), (_req, res) => {
        runs++
        res.set('Cache-Control', 'public, max-age=2').send('public news')
      })
      const server = await t.start()
      await server.get('/pub', { authorization: 'Bearer alice' })
      const hit = await server.get('/pub')
      expect(hit.headers['x-cache']).to.equal('HIT')
      const ttl = Number(/ttl=(-?\d+)/.exec(String(hit.headers['cache-status']))?.[1])
      expect(ttl).to.be.at.most(2)
    })

    it('asks unless(req, res) before storing a response to an Authorization request', async () => {
      t.app.get(
        '/u',
        cacheRoute(t.cache, { unless: (_req, res) => res.getHeader('x-private-data') === 'yes' }),
        (req, res) => {
          runs++
          res
            .set('Cache-Control', 'public, max-age=60')
            .set('x-private-data', 'yes')
            .send(`account of ${who(req)}`)
        },
      )
      const server = await t.start()
      await server.get('/u', { authorization: 'Bearer alice' })
      const anonymous = await server.get('/u')
      expect(anonymous.text).to.equal('account of nobody')
      expect(runs).to.equal(2)
    })

    it("vary: ['cookie'] does not make Bearer users share one entry", async () => {
      t.app.get('/v', cacheRoute(t.cache, { vary: ['cookie'] }), (req, res) => {
        runs++
        res.send(`feed of ${who(req)}`)
      })
      const server = await t.start()
      await server.get('/v', { authorization: 'Bearer alice' })
      const bob = await server.get('/v', { authorization: 'Bearer bob' })
      expect(bob.text).to.equal('feed of Bearer bob')
      const anonymous = await server.get('/v')
      expect(anonymous.text).to.equal('feed of nobody')
    })

    it('treats a request with Cookie like one with Authorization: never served from, never stored into shared entries', async () => {
      t.app.get('/dashboard', cacheRoute(t.cache, { ttl: '1h' }), (req, res) => {
        runs++
        res.send(`dashboard of ${who(req)}`)
      })
      t.app.get('/home', cacheRoute(t.cache, { ttl: '1h' }), (req, res) => {
        runs++
        res.send(`home of ${who(req)}`)
      })
      const server = await t.start()
      await server.get('/dashboard', { cookie: 'sid=alice' })
      expect((await server.get('/dashboard')).text).to.equal('dashboard of nobody')
      expect((await server.get('/dashboard', { cookie: 'sid=bob' })).text).to.equal(
        'dashboard of sid=bob',
      )
      await server.get('/home')
      const alice = await server.get('/home', { cookie: 'sid=alice' })
      expect(alice.text).to.equal('home of sid=alice')
      expect(alice.headers['x-cache']).to.equal('BYPASS')
    })

    it('shares responses to requests whose cookies a route declares non-personal, and only those', async () => {
      const options: CacheRouteOptions = { ttl: '1h', ignoreCookies: ['_ga', /^_utm/] }
      t.app.get('/news', cacheRoute(t.cache, options), (req, res) => {
        runs++
        res.send(`news for ${who(req)}`)
      })
      const server = await t.start()
      const first = await server.get('/news', { cookie: '_ga=GA1.1; _utma=1' })
      expect(first.headers['x-cache']).to.equal('MISS')
      const second = await server.get('/news', { cookie: '_ga=GA1.2' })
      expect(second.headers['x-cache']).to.equal('HIT')
      const alice = await server.get('/news', { cookie: '_ga=GA1.2; sid=alice' })
      expect(alice.text).to.equal('news for _ga=GA1.2; sid=alice')
      expect(alice.headers['x-cache']).to.equal('BYPASS')
      expect(runs).to.equal(2)
    })

    it('rejects a malformed ignoreCookies option with a typed error', () => {
      for (const bad of [['ok', 42], 'sid', [''], [/x/g]]) {
        expect(
          () => cacheRoute(t.cache, { ignoreCookies: bad as never }),
          JSON.stringify(String(bad)),
        ).to.throw(InvalidOptionError, /ignoreCookies/)
      }
    })
  })
}
