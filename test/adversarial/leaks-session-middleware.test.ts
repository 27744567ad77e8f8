/**
 * Attacks through the middleware real apps mount ahead of the cache: session middleware that
 * adds Set-Cookie when the headers go out (on-headers), handlers that pass headers only to
 * res.writeHead, and background revalidations that must run as nobody in particular.
 */
import { expect } from 'chai'
import cookieSession from 'cookie-session'
import session from 'express-session'
import onHeaders from 'on-headers'
import type { Express, NextFunction, Request, Response } from 'express'
import type { Cache } from '../../src/index.js'
import { cacheRoute, tagResponse } from '../../middleware/index.js'
import { nextEvent } from '../support/events.js'
import { deferred, sleep } from '../support/wait.js'
import { cookies, TARGETS, useTarget } from './support.js'

/** Resolves once the next response was stored or deliberately not stored. */
function storedOrSkipped(cache: Cache): Promise<'set' | 'skip'> {
  return new Promise((resolve, reject) => {
    const done = (outcome: 'set' | 'skip' | Error): void => {
      clearTimeout(timer)
      cache.off('cache:set', onSet)
      cache.off('cache:skip', onSkip)
      if (outcome instanceof Error) reject(outcome)
      else resolve(outcome)
    }
    const onSet = (): void => done('set')
    const onSkip = (): void => done('skip')
    const timer = setTimeout(() => done(new Error('nothing stored or skipped in 5 s')), 5_000)
    cache.on('cache:set', onSet)
    cache.on('cache:skip', onSkip)
  })
}

type Mount = { name: string; use: (app: Express) => void }

/** Middleware that add Set-Cookie at writeHead time, as people mount them. */
const SESSION_MIDDLEWARE: readonly Mount[] = [
  {
    name: 'express-session',
    use: (app) =>
      app.use(session({ secret: 'test secret', resave: false, saveUninitialized: true })),
  },
  {
    name: 'cookie-session',
    use: (app) =>
      app.use(
        cookieSession({ secret: 'test secret' }),
        (req: Request, _res: Response, next: NextFunction) => {
          const visit = req.session as unknown as Record<string, unknown> | null | undefined
          // A session of its own per visitor (cookie-session signs the content).
          if (visit !== null && visit !== undefined) visit['visitor'] = Math.random()
          next()
        },
      ),
  },
  {
    name: 'on-headers',
    use: (app) =>
      app.use((_req: Request, res: Response, next: NextFunction) => {
        onHeaders(res, () => res.setHeader('Set-Cookie', `visitor=${Math.random()}`))
        next()
      }),
  },
]

for (const target of TARGETS) {
  describe(`adversarial: session middleware and revalidation (${target.name})`, () => {
    const t = useTarget(target)
    let runs = 0
    beforeEach(() => {
      runs = 0
    })

    for (const mount of SESSION_MIDDLEWARE) {
      it(`never replays a Set-Cookie that ${mount.name} adds at writeHead`, async () => {
        mount.use(t.app)
        t.app.get('/welcome', cacheRoute(t.cache, { ttl: '1h' }), (_req, res) => {
          runs++
          res.send(`welcome, visitor ${runs}`)
        })
        const server = await t.start()
        const first = await server.get('/welcome')
        expect(cookies(first)).to.not.equal('')
        const second = await server.get('/welcome')
        expect(second.text).to.equal('welcome, visitor 2')
        expect(cookies(second)).to.not.equal(cookies(first))
      })

      it(`never hands a collapsed request the leader's response when ${mount.name} adds Set-Cookie`, async () => {
        mount.use(t.app)
        const release = deferred()
        const started = deferred()
        const joined = deferred()
        const route = cacheRoute(t.cache, { ttl: '1h' })
        let arrivals = 0
        t.app.get(
          '/collapse',
          (req, res, next) => {
            route(req, res, next)
            if (++arrivals === 2) joined.resolve()
          },
          async (_req, res) => {
            runs++
            started.resolve()
            await release.promise
            res.send(`page of visitor ${runs}`)
          },
        )
        const server = await t.start()
        const leader = server.get('/collapse')
        await started.promise
        const follower = server.get('/collapse')
        await joined.promise
        release.resolve()
        const [a, b] = await Promise.all([leader, follower])
        expect(cookies(a)).to.not.equal('')
        expect(cookies(b)).to.not.equal(cookies(a))
        expect(b.text).to.not.equal(a.text)
      })
    }

    it('revalidates as an anonymous request: no Cookie, no Authorization reach the origin', async () => {
      const seen: string[] = []
      t.app.get(
        '/swr',
        cacheRoute(t.cache, { ttl: 50, staleWhileRevalidate: '1m', ignoreCookies: ['_ga'] }),
        (req, res) => {
          runs++
          seen.push(String(req.headers.cookie ?? req.headers.authorization ?? 'anonymous'))
          res.send(`v${runs}`)
        },
      )
      const server = await t.start()
      await server.get('/swr')
      await sleep(70)
      const refreshed = nextEvent(t.cache, 'fn:run')
      const stale = await server.get('/swr', { cookie: '_ga=GA1.1' })
      expect(stale.headers['x-cache']).to.equal('STALE')
      await refreshed
      expect(seen).to.deep.equal(['anonymous', 'anonymous'])
    })

    it('revalidation sees headers passed only to res.writeHead and never stores its Set-Cookie', async () => {
      t.app.disable('x-powered-by')
      // 400 ms: the HIT asserted right after a revalidation must still be fresh on a loaded machine.
      t.app.get(
        '/wh',
        cacheRoute(t.cache, { ttl: 400, staleWhileRevalidate: '1m' }),
        (_req, res) => {
          runs++
          const headers: Record<string, string> = {
            'Content-Type': 'text/plain; charset=utf-8',
            'X-Version': `v${runs}`,
          }
          if (runs === 3) headers['Set-Cookie'] = 'sid=revalidation-secret'
          res.writeHead(200, headers)
          res.end(`body v${runs}`)
        },
      )
      const server = await t.start()
      await server.get('/wh')
      for (const version of [2, 3]) {
        await sleep(450)
        const refreshed = storedOrSkipped(t.cache)
        expect((await server.get('/wh')).headers['x-cache']).to.equal('STALE')
        await refreshed
        if (version === 2) {
          const hit = await server.get('/wh')
          expect(hit.headers['x-cache']).to.equal('HIT')
          expect(hit.text).to.equal('body v2')
          expect(hit.headers['x-version']).to.equal('v2')
          expect(hit.headers['content-type']).to.equal('text/plain; charset=utf-8')
        }
      }
      const after = await server.get('/wh')
      expect(cookies(after)).to.not.include('revalidation-secret')
      expect(after.text).to.not.equal('body v3')
    })

    it('asks unless(req, res) before storing a revalidated response', async () => {
      t.app.get(
        '/unless',
        cacheRoute(t.cache, {
          ttl: 50,
          staleWhileRevalidate: '1m',
          unless: (_req, res) => res.getHeader('x-personal') === 'yes',
        }),
        (_req, res) => {
          runs++
          if (runs > 1) res.set('x-personal', 'yes')
          res.send(`v${runs}`)
        },
      )
      const server = await t.start()
      await server.get('/unless')
      await sleep(70)
      const refreshed = storedOrSkipped(t.cache)
      await server.get('/unless')
      await refreshed
      const next = await server.get('/unless')
      expect(next.text).to.not.equal('v2')
    })

    it('keeps the tags of tagResponse() on background revalidation', async () => {
      t.app.get(
        '/tagged',
        cacheRoute(t.cache, { ttl: 50, staleWhileRevalidate: '1m' }),
        (_req, res) => {
          runs++
          tagResponse(res, `standings-v${runs}`)
          res.send(`v${runs}`)
        },
      )
      const server = await t.start()
      await server.get('/tagged')
      await sleep(70)
      const stored = nextEvent(t.cache, 'cache:set')
      await server.get('/tagged')
      await stored
      expect(await t.cache.invalidate({ tags: ['standings-v2'] })).to.equal(1)
      expect((await server.get('/tagged')).headers['x-cache']).to.equal('MISS')
    })
  })
}
