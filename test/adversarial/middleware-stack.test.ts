/**
 * The middleware people mount, all at once, ahead of the cache (morgan, helmet, cors,
 * compression, express-session), on Express 4 and 5 with the memory store and Redis: no
 * session page or Set-Cookie reaches another visitor, and a hit carries exactly the headers
 * that request would get from the origin (its own CORS answer, helmet's headers, its encoding),
 * never the ones of the request that was stored.
 */
import { expect } from 'chai'
import compression from 'compression'
import cors from 'cors'
import session from 'express-session'
import helmet from 'helmet'
import morgan from 'morgan'
import type { IncomingHttpHeaders } from 'node:http'
import type { Express, Request, Response } from 'express'
import { cacheRoute } from '../../middleware/index.js'
import { cookies, decode, TARGETS, useTarget, type RawResponse } from './support.js'

const ALLOWED = ['https://a.example', 'https://b.example']
const ORIGINS = [...ALLOWED, 'https://evil.example', undefined]
// Above compression's 1 kB threshold, so gzip really runs.
const FILLER = 'x'.repeat(2_000)

interface StackOptions {
  readonly saveUninitialized: boolean
  readonly rolling: boolean
}

/** morgan, helmet, cors, compression and express-session, in the usual order; log lines. */
function mountStack(app: Express, options: StackOptions): string[] {
  const lines: string[] = []
  const stream = { write: (line: string) => void lines.push(line.trim()) }
  app.use(morgan(':method :url :status :res[x-cache]', { stream }))
  app.use(helmet())
  app.use(cors({ origin: ALLOWED, credentials: true }))
  app.use(compression())
  app.use(session({ secret: 'stack secret', resave: false, ...options }))
  app.post('/login/:user', (req: Request, res: Response) => {
    sessionOf(req)['user'] = req.params['user']
    res.send('signed in')
  })
  return lines
}

function sessionOf(req: Request): Record<string, unknown> {
  return req.session as unknown as Record<string, unknown>
}

/** The session cookie a response set, as the browser sends it back. */
function sessionCookie(res: RawResponse): string {
  return (res.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? ''
}

/** Headers that differ between two sends of one response by nature, or are the cache's own. */
const PER_SEND = new Set(['date', 'age', 'x-cache', 'cache-status', 'connection', 'keep-alive'])

function comparable(headers: IncomingHttpHeaders): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_SEND.has(name)))
}

const SESSION_SETUPS: readonly StackOptions[] = [
  { saveUninitialized: false, rolling: false },
  { saveUninitialized: false, rolling: true },
  { saveUninitialized: true, rolling: false },
]

for (const target of TARGETS) {
  describe(`adversarial: the usual middleware stack ahead of the cache (${target.name})`, () => {
    const t = useTarget(target)
    let runs = 0
    beforeEach(() => {
      runs = 0
    })

    for (const setup of SESSION_SETUPS) {
      const name = `saveUninitialized: ${setup.saveUninitialized}, rolling: ${setup.rolling}`
      it(`no session page or session cookie reaches another visitor (${name})`, async () => {
        mountStack(t.app, setup)
        t.app.get('/page', cacheRoute(t.cache, { ttl: '1h' }), (req, res) => {
          runs++
          const user = sessionOf(req)['user']
          res.type('text/plain').send(`page for ${typeof user === 'string' ? user : 'nobody'}`)
        })
        const server = await t.start()
        const gzip = { 'accept-encoding': 'gzip', origin: 'https://a.example' }
        const first = await server.get('/page', gzip)
        const seen = new Set([sessionCookie(first)])
        const pages: Record<string, string> = {}
        for (const user of ['alice', 'bob']) {
          const login = await server.get(`/login/${user}`, {}, 'POST')
          const cookie = sessionCookie(login)
          expect(cookie, `${user}'s session cookie`).to.match(/^connect\.sid=/)
          seen.add(cookie)
          const own = await server.get('/page', { ...gzip, cookie })
          expect(own.text).to.equal(`page for ${user}`)
          expect(own.headers['x-cache']).to.equal('BYPASS')
          pages[user] = own.text
          const again = await server.get('/page', { ...gzip, cookie })
          expect(again.text, `${user} again`).to.equal(`page for ${user}`)
        }
        for (const encoding of ['gzip', 'identity', 'br']) {
          const anonymous = await server.get('/page', { 'accept-encoding': encoding })
          expect(anonymous.text, encoding).to.equal('page for nobody')
          const cookie = sessionCookie(anonymous)
          expect(
            seen.has(cookie) && cookie !== '',
            `a replayed session cookie: ${cookie}`,
          ).to.equal(false)
          if (setup.saveUninitialized) expect(anonymous.headers['x-cache']).to.not.equal('HIT')
          else expect(anonymous.headers['x-cache'], encoding).to.equal('HIT')
          seen.add(cookie)
        }
        if (!setup.saveUninitialized) expect(cookies(first)).to.equal('')
      })
    }

    it('a hit carries the headers its own request gets from the origin: CORS per Origin, helmet, encoding', async () => {
      const log = mountStack(t.app, { saveUninitialized: false, rolling: false })
      const handler = (_req: Request, res: Response): void => {
        runs++
        res.set('X-From-Handler', 'yes').json({ rows: FILLER })
      }
      t.app.get('/data', cacheRoute(t.cache, { ttl: '1h' }), handler)
      t.app.get('/reference', handler)
      const server = await t.start()
      let sent = 0
      for (const origin of ORIGINS) {
        for (const encoding of ['gzip', 'identity']) {
          const headers: Record<string, string> = { 'accept-encoding': encoding }
          if (origin !== undefined) headers['origin'] = origin
          const hit = await server.get('/data', headers)
          const reference = await server.get('/reference', headers)
          sent += 2
          const what = `${origin ?? 'no Origin'}, ${encoding}`
          if (sent > 2) expect(hit.headers['x-cache'], what).to.equal('HIT')
          expect(comparable(hit.headers), what).to.deep.equal(comparable(reference.headers))
          expect(hit.text, what).to.equal(reference.text)
          expect(decode(hit.headers, hit.body)).to.equal(JSON.stringify({ rows: FILLER }))
        }
      }
      expect(runs).to.equal(1 + sent / 2)
      // morgan logged every request, hits included, with the label each one got.
      const logged = log.filter((line) => line.startsWith('GET /data'))
      expect(logged).to.have.length(sent / 2)
      expect(logged.slice(1).every((line) => line === 'GET /data 200 HIT')).to.equal(true)
    })

    it('a header the handler removed (helmet X-Frame-Options on an embeddable page) stays removed on a hit', async () => {
      mountStack(t.app, { saveUninitialized: false, rolling: false })
      const handler = (_req: Request, res: Response): void => {
        runs++
        res.removeHeader('X-Frame-Options')
        res.removeHeader('Content-Security-Policy')
        res.type('text/html').send('<p>embed me</p>')
      }
      t.app.get('/widget', cacheRoute(t.cache, { ttl: '1h' }), handler)
      t.app.get('/reference', handler)
      const server = await t.start()
      const reference = await server.get('/reference')
      expect(reference.headers['x-frame-options']).to.equal(undefined)
      for (const expected of ['MISS', 'HIT', 'HIT']) {
        const res = await server.get('/widget')
        expect(res.headers['x-cache']).to.equal(expected)
        expect(comparable(res.headers)).to.deep.equal(comparable(reference.headers))
      }
      // A 304 from the cache leaves them out too.
      const etag = String(reference.headers['etag'])
      const notModified = await server.get('/widget', { 'if-none-match': etag })
      expect(notModified.status).to.equal(304)
      expect(notModified.headers['x-frame-options']).to.equal(undefined)
      expect(notModified.headers['content-security-policy']).to.equal(undefined)
      expect(runs).to.equal(2)
    })
  })
}
