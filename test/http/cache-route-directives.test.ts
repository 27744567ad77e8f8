import { expect } from 'chai'
import request from 'supertest'
import type { Request, Response } from 'express'
import { cacheRoute, type CacheRouteOptions } from '../../middleware/index.js'
import { sleep } from '../support/wait.js'
import { EXPRESS_VERSIONS, useMemoryRoutes } from './apps.js'

/**
 * Cache-Control request directives (RFC 9111 5.2.1): ignored unless the route allows them
 * (`requestDirectives`), so no client can add origin load by default; when allowed, each one
 * does what the RFC says and nothing more (never a must-revalidate response served stale, never
 * a 504 stored, never a no-store exchange stored).
 */

const EVERY_DIRECTIVE: readonly Record<string, string>[] = [
  { 'cache-control': 'no-cache' },
  { pragma: 'no-cache' },
  { 'cache-control': 'max-age=0' },
  { 'cache-control': 'MAX-AGE=0' },
  { 'cache-control': 'min-fresh=999999' },
  { 'cache-control': 'no-store' },
  { 'cache-control': 'max-stale' },
  { 'cache-control': 'no-cache, no-store, max-age=0, min-fresh=9, only-if-cached' },
]

for (const { name, create } of EXPRESS_VERSIONS) {
  for (const mode of ['default', 'shared'] as const) {
    describe(`cacheRoute request directives on ${name}, ${mode} mode`, () => {
      const t = useMemoryRoutes(create)

      /** GET `path` with this Cache-Control: its X-Cache and body. */
      const ask = async (path: string, cacheControl: string): Promise<[unknown, string]> => {
        const res = await request(t.app).get(path).set('cache-control', cacheControl)
        return [res.headers['x-cache'], res.text]
      }

      /** A route whose handler counts its runs and answers `v<runs>` with these headers. */
      function mount(path: string, options: CacheRouteOptions, headers = {}): void {
        t.app.get(path, cacheRoute(t.cache, { mode, ttl: '1h', ...options }), (_req, res) => {
          t.runs++
          res.set({ 'cache-control': 'max-age=3600', ...headers }).send(`v${t.runs}`)
        })
      }

      it('ignores every request directive when the route allows none (the default)', async () => {
        mount('/d', {})
        await request(t.app).get('/d')
        for (const headers of EVERY_DIRECTIVE) {
          const res = await request(t.app).get('/d').set(headers)
          expect(res.headers['x-cache'], JSON.stringify(headers)).to.equal('HIT')
          expect(res.text).to.equal('v1')
        }
        // only-if-cached on a miss is ignored too: the origin answers, as without it.
        const miss = await request(t.app).get('/d?other').set('cache-control', 'only-if-cached')
        expect(miss.status).to.equal(200)
        expect(t.runs).to.equal(2)
      })

      it('only-if-cached: a 504 from the cache on a miss, the handler never runs, nothing stored', async () => {
        mount('/o', { requestDirectives: { onlyIfCached: true } })
        for (const method of ['get', 'head'] as const) {
          const res = await request(t.app)[method]('/o').set('cache-control', 'only-if-cached')
          expect(res.status, method).to.equal(504)
          expect(res.headers['cache-control']).to.equal('no-store')
          expect(res.headers['cache-status']).to.equal('herdlock; detail=only-if-cached')
        }
        const credentialed = await request(t.app)
          .get('/o')
          .set({ 'cache-control': 'only-if-cached', authorization: 'Bearer a' })
        expect(credentialed.status).to.equal(504)
        expect(t.runs).to.equal(0)
        expect((await request(t.app).get('/o')).headers['x-cache']).to.equal('MISS')
        const hit = await request(t.app).get('/o').set('cache-control', 'only-if-cached')
        expect([hit.status, hit.headers['x-cache'], hit.text]).to.deep.equal([200, 'HIT', 'v1'])
        expect(t.runs).to.equal(1)
      })

      it('no-cache and max-age=0 go to the origin and replace the entry; Pragma is not read', async () => {
        mount('/n', { requestDirectives: { revalidate: true } })
        await request(t.app).get('/n')
        for (const [i, headers] of [
          { 'cache-control': 'no-cache' },
          { 'cache-control': 'max-age=0' },
        ].entries()) {
          const res = await request(t.app).get('/n').set(headers)
          expect(res.text, JSON.stringify(headers)).to.equal(`v${i + 2}`)
          const next = await request(t.app).get('/n')
          expect([next.headers['x-cache'], next.text]).to.deep.equal(['HIT', `v${i + 2}`])
        }
        // RFC 9111 5.4 deprecates Pragma: a fresh response answers, with or without Cache-Control.
        for (const headers of [
          { pragma: 'no-cache' },
          { pragma: 'no-cache', 'cache-control': 'x' },
        ]) {
          const pragma = await request(t.app).get('/n').set(headers)
          expect(pragma.headers['x-cache']).to.equal('HIT')
        }
        expect(t.runs).to.equal(3)
      })

      it('max-age and min-fresh compare with the stored age and the freshness left', async () => {
        mount('/a', { requestDirectives: { revalidate: true } }, { age: '1800' })
        await request(t.app).get('/a')
        expect(await ask('/a', 'max-age=3000')).to.deep.equal(['HIT', 'v1'])
        expect(await ask('/a', 'min-fresh=600')).to.deep.equal(['HIT', 'v1'])
        expect(await ask('/a', 'max-age=600')).to.deep.equal(['MISS', 'v2'])
        // More than either mode leaves (shared: 3600 - 1800 s; default: the route's hour).
        expect(await ask('/a', 'min-fresh=4000')).to.deep.equal(['MISS', 'v3'])
        expect(t.runs).to.equal(3)
      })

      it('a client the predicate does not pick cannot revalidate', async () => {
        const internal = (req: { headers: Record<string, unknown> }): boolean =>
          req.headers['x-internal'] === 'yes'
        mount('/p', { requestDirectives: { revalidate: internal } })
        await request(t.app).get('/p')
        const outsider = await request(t.app).get('/p').set('cache-control', 'no-cache')
        expect(outsider.headers['x-cache']).to.equal('HIT')
        const insider = await request(t.app)
          .get('/p')
          .set({ 'cache-control': 'no-cache', 'x-internal': 'yes' })
        expect(insider.text).to.equal('v2')
        expect(t.runs).to.equal(2)
      })

      it('no-store: served from a stored response, else the origin answers and nothing is stored', async () => {
        mount('/s', { requestDirectives: { noStore: true } })
        const first = await request(t.app).get('/s').set('cache-control', 'no-store')
        expect([first.text, first.headers['cache-status']]).to.deep.equal([
          'v1',
          'herdlock; fwd=bypass; detail=no-store',
        ])
        expect((await request(t.app).get('/s')).headers['x-cache']).to.equal('MISS')
        const hit = await request(t.app).get('/s').set('cache-control', 'no-store')
        expect([hit.headers['x-cache'], hit.text]).to.deep.equal(['HIT', 'v2'])
        const credentialed = await request(t.app)
          .get('/s?c')
          .set({ 'cache-control': 'no-store', authorization: 'Bearer a' })
        expect(credentialed.status).to.equal(200)
        expect((await request(t.app).get('/s?c')).headers['x-cache']).to.equal('MISS')
      })

      it('max-stale serves a stale response the entry keeps, within its limit only', async () => {
        t.app.get(
          '/m',
          cacheRoute(t.cache, {
            mode,
            ttl: 50,
            staleIfError: '1m',
            requestDirectives: { maxStale: true },
          }),
          (_req: Request, res: Response) => {
            t.runs++
            // Shared mode takes the lifetime from the origin, in whole seconds.
            if (mode === 'shared') res.set('cache-control', 'max-age=1')
            res.send(`v${t.runs}`)
          },
        )
        await request(t.app).get('/m')
        await sleep(mode === 'shared' ? 1_100 : 80)
        expect(await ask('/m', 'max-stale')).to.deep.equal(['STALE', 'v1'])
        expect(await ask('/m', 'max-stale=30')).to.deep.equal(['STALE', 'v1'])
        expect(t.cache.stats().staleByReason['client']).to.equal(2)
        expect(await ask('/m', 'max-stale=0')).to.deep.equal(['MISS', 'v2'])
        expect(t.runs).to.equal(2)
      })

      it('revalidating one variant leaves the others stored', async () => {
        t.app.get(
          '/v',
          cacheRoute(t.cache, { mode, ttl: '1h', requestDirectives: true }),
          (req: Request, res: Response) => {
            t.runs++
            res
              .set({ 'cache-control': 'max-age=3600', vary: 'accept-language' })
              .send(`${String(req.headers['accept-language'])} v${t.runs}`)
          },
        )
        await request(t.app).get('/v').set('accept-language', 'en')
        await request(t.app).get('/v').set('accept-language', 'de')
        const fresh = await request(t.app)
          .get('/v')
          .set({ 'accept-language': 'en', 'cache-control': 'no-cache' })
        expect(fresh.text).to.equal('en v3')
        const de = await request(t.app).get('/v').set('accept-language', 'de')
        expect([de.headers['x-cache'], de.text]).to.deep.equal(['HIT', 'de v2'])
        const en = await request(t.app).get('/v').set('accept-language', 'en')
        expect([en.headers['x-cache'], en.text]).to.deep.equal(['HIT', 'en v3'])
        expect(t.runs).to.equal(3)
      })
    })
  }

  describe(`cacheRoute request directives on ${name}: what they never do`, () => {
    const t = useMemoryRoutes(create)

    it("never takes the stored copy away during an outage: neither a client's no-cache nor refresh(req)", async () => {
      let failing = false
      t.app.get(
        '/down',
        cacheRoute(t.cache, {
          ttl: '1h',
          staleIfError: '1h',
          requestDirectives: { revalidate: true },
          refresh: (req) => req.headers['x-refresh'] === 'yes',
        }),
        (_req: Request, res: Response) => {
          t.runs++
          if (failing) return res.status(503).send('down')
          res.send(`good ${t.runs}`)
        },
      )
      await request(t.app).get('/down')
      failing = true
      for (const headers of [{ 'cache-control': 'no-cache' }, { 'x-refresh': 'yes' }]) {
        // The asking client's own request reaches the failing origin and gets its answer.
        const asked = await request(t.app).get('/down').set(headers)
        expect([asked.status, asked.text]).to.deep.equal([503, 'down'])
        const other = await request(t.app).get('/down')
        expect([other.headers['x-cache'], other.text]).to.deep.equal(['HIT', 'good 1'])
      }
      failing = false
      const refreshed = await request(t.app).get('/down').set('cache-control', 'no-cache')
      expect(refreshed.text).to.equal('good 4')
      expect((await request(t.app).get('/down')).text).to.equal('good 4')
    })

    it('max-stale never serves a must-revalidate response stale (shared mode)', async () => {
      t.app.get(
        '/mr',
        cacheRoute(t.cache, { mode: 'shared', staleIfError: '1m', requestDirectives: true }),
        (_req: Request, res: Response) => {
          t.runs++
          res.set('cache-control', 'max-age=1, must-revalidate').send(`v${t.runs}`)
        },
      )
      await request(t.app).get('/mr')
      await sleep(1_100)
      const res = await request(t.app).get('/mr').set('cache-control', 'max-stale=1000')
      expect(res.text).to.equal('v2')
      const offline = await request(t.app)
        .get('/mr')
        .set('cache-control', 'max-stale=1000, only-if-cached')
      expect(offline.text).to.equal('v2') // the fresh one just stored
      expect(t.runs).to.equal(2)
    })

    it('rejects a misspelt family or a value that is not a boolean or predicate', () => {
      expect(() => cacheRoute(t.cache, { requestDirectives: { noCache: true } as never })).to.throw(
        /requestDirectives\.noCache/,
      )
      expect(() =>
        cacheRoute(t.cache, { requestDirectives: { revalidate: 'yes' } as never }),
      ).to.throw(/requestDirectives\.revalidate/)
      expect(() => cacheRoute(t.cache, { requestDirectives: 1 as never })).to.throw(
        /requestDirectives/,
      )
    })
  })
}
