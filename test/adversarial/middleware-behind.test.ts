/**
 * The middleware people mount between the cache and the handler, on Express 4 and 5 with the
 * memory store and Redis: cors on the route (its Access-Control-Allow-Origin is stored with the
 * response, so a hit for one Origin must never carry another's), and files served by
 * express.static and res.sendFile behind an authentication check ("public, max-age=0" by
 * default: never shared with another user, and never past the check).
 */
import { expect } from 'chai'
import compression from 'compression'
import cors, { type CorsOptions } from 'cors'
import express from 'express'
import session from 'express-session'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NextFunction, Request, Response } from 'express'
import { cacheRoute } from '../../middleware/index.js'
import { TARGETS, useTarget, type RawResponse } from './support.js'

const CORS_SETUPS: readonly { name: string; options: CorsOptions }[] = [
  { name: 'an allow-list', options: { origin: ['https://a.example', 'https://b.example'] } },
  { name: 'a reflected origin with credentials', options: { origin: true, credentials: true } },
  {
    name: 'an origin callback',
    options: { origin: (origin, done) => done(null, origin?.endsWith('.example') === true) },
  },
]

/** Who the request is, by its bearer token or its session; undefined when anonymous. */
function userOf(req: Request): string | undefined {
  const bearer = /^Bearer (\w+)$/.exec(req.get('authorization') ?? '')?.[1]
  const fromSession = (req.session as unknown as Record<string, unknown> | undefined)?.['user']
  return bearer ?? (typeof fromSession === 'string' ? fromSession : undefined)
}

function requireUser(req: Request, res: Response, next: NextFunction): void {
  if (userOf(req) === undefined) res.status(401).send('sign in first')
  else next()
}

for (const target of TARGETS) {
  describe(`adversarial: middleware between the cache and the handler (${target.name})`, () => {
    const t = useTarget(target, { tempDir: 'herdlock-behind-' })
    let runs = 0
    beforeEach(() => {
      runs = 0
    })

    for (const setup of CORS_SETUPS) {
      it(`cors on the route with ${setup.name}: a hit for one Origin never carries another's Access-Control-Allow-Origin`, async () => {
        t.app.get('/feed', cacheRoute(t.cache, { ttl: '1h' }), cors(setup.options), (_req, res) => {
          runs++
          res.json({ items: [1, 2, 3] })
        })
        const server = await t.start()
        const origins = ['https://a.example', undefined, 'https://b.example', 'https://evil.org']
        const expected = async (origin: string | undefined): Promise<RawResponse> => {
          const headers: Record<string, string> = origin === undefined ? {} : { origin }
          return server.get('/feed', headers)
        }
        const first = new Map<string | undefined, string | undefined>()
        for (const origin of origins) {
          const res = await expected(origin)
          first.set(origin, res.headers['access-control-allow-origin'])
        }
        expect(first.get('https://a.example')).to.equal('https://a.example')
        expect(first.get('https://b.example')).to.equal('https://b.example')
        expect(first.get(undefined)).to.equal(undefined)
        const evil = first.get('https://evil.org')
        expect(evil === undefined || evil === 'https://evil.org', String(evil)).to.equal(true)
        for (const origin of [...origins].reverse()) {
          const hit = await expected(origin)
          expect(hit.headers['x-cache'], String(origin)).to.equal('HIT')
          expect(hit.headers['access-control-allow-origin'], String(origin)).to.equal(
            first.get(origin),
          )
        }
        // One origin run per distinct Origin value, none for the hits.
        expect(runs).to.equal(origins.length)
      })
    }

    it('express-session and compression on the route after the cache: no session cookie is replayed', async () => {
      const route = cacheRoute(t.cache, { ttl: '1h' })
      const visit = session({ secret: 'behind secret', resave: false, saveUninitialized: true })
      t.app.get('/welcome', route, visit, compression(), (_req, res) => {
        runs++
        res.type('text/plain').send(`welcome ${runs} `.repeat(200))
      })
      const server = await t.start()
      const seen = new Set<string>()
      for (const encoding of ['gzip', 'gzip', 'identity']) {
        const res = await server.get('/welcome', { 'accept-encoding': encoding })
        const cookie = res.headers['set-cookie']?.[0] ?? ''
        expect(cookie).to.match(/^connect\.sid=/)
        expect(seen.has(cookie), 'a replayed session cookie').to.equal(false)
        seen.add(cookie)
        expect(res.headers['x-cache']).to.not.equal('HIT')
      }
      expect(runs).to.equal(3)
    })

    it('express.static behind an auth check: a file fetched with Authorization or a session is never served past the check', async () => {
      writeFileSync(join(t.dir, 'report.txt'), 'confidential report')
      t.app.use(session({ secret: 'behind secret', resave: false, saveUninitialized: false }))
      t.app.post('/login/:user', (req: Request, res: Response) => {
        ;(req.session as unknown as Record<string, unknown>)['user'] = req.params['user']
        res.send('signed in')
      })
      t.app.use('/files', cacheRoute(t.cache, { ttl: '1h' }), requireUser, express.static(t.dir))
      const server = await t.start()
      const login = await server.get('/login/alice', {}, 'POST')
      const cookie = (login.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? ''
      const both: Record<string, string>[] = [{ authorization: 'Bearer alice' }, { cookie }]
      for (const credentials of both) {
        const own = await server.get('/files/report.txt', credentials)
        expect(own.text).to.equal('confidential report')
        expect(own.headers['cache-control']).to.equal('public, max-age=0')
        const anonymous = await server.get('/files/report.txt')
        expect(anonymous.status, JSON.stringify(credentials)).to.equal(401)
        expect(anonymous.text).to.equal('sign in first')
      }
    })

    it("res.sendFile of each user's own file: never another user's, whichever credential carries the user", async () => {
      for (const user of ['alice', 'bob', 'guest']) writeFileSync(join(t.dir, `${user}.txt`), user)
      t.app.use(session({ secret: 'behind secret', resave: false, saveUninitialized: false }))
      t.app.post('/login/:user', (req: Request, res: Response) => {
        ;(req.session as unknown as Record<string, unknown>)['user'] = req.params['user']
        res.send('signed in')
      })
      t.app.get('/me/card', cacheRoute(t.cache, { ttl: '1h' }), (req, res) => {
        runs++
        res.sendFile(join(t.dir, `${userOf(req) ?? 'guest'}.txt`))
      })
      const server = await t.start()
      const sessionOf = async (user: string): Promise<Record<string, string>> => {
        const login = await server.get(`/login/${user}`, {}, 'POST')
        return { cookie: (login.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '' }
      }
      const asAlice = [{ authorization: 'Bearer alice' }, await sessionOf('alice')]
      const asBob = [{ authorization: 'Bearer bob' }, await sessionOf('bob')]
      for (let i = 0; i < asAlice.length; i++) {
        expect((await server.get('/me/card', asAlice[i])).text).to.equal('alice')
        expect((await server.get('/me/card', asBob[i])).text).to.equal('bob')
        expect((await server.get('/me/card')).text).to.equal('guest')
        expect((await server.get('/me/card', asAlice[i])).text).to.equal('alice')
      }
      // The guest card is the one shared response; the 6 personal requests ran every time.
      expect(runs).to.equal(6 + 1)
    })
  })
}
