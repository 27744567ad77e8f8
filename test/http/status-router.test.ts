import { expect } from 'chai'
import type { Express, NextFunction, Request, Response } from 'express'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import request from 'supertest'
import {
  createCache,
  InvalidOptionError,
  MemoryStore,
  OptionRangeError,
  statusRouter as fromMainEntry,
  type Cache,
} from '../../src/index.js'
import { statusRouter, type StatusDocument } from '../../middleware/index.js'
import { prefersHtml } from '../../middleware/status/page.js'
import { uniquePrefix } from '../support/redis.js'
import { EXPRESS_VERSIONS } from './apps.js'

const SECRET_KEY = 'secret-key-7f3a'
const SECRET_VALUE = 'secret-value-91c2'
const PASSWORD = 'pa55-w0rd-e4d1'
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`statusRouter on ${name}`, () => {
    let cache: Cache
    let app: Express

    beforeEach(async () => {
      cache = createCache({ store: new MemoryStore(), health: { interval: 1 } })
      app = create()
      app.use('/cache/status', statusRouter(cache))
      await cache.set(SECRET_KEY, SECRET_VALUE, { namespace: 'users' })
      await cache.get(SECRET_KEY, { namespace: 'users' })
      await cache.get('absent', { namespace: 'users' })
      await cache.get('absent', { namespace: 'pages' })
    })
    afterEach(() => cache.close())

    it('GET / answers the status document: status, health, and totals beside each namespace', async () => {
      const response = await request(app)
        .get('/cache/status')
        .expect(200)
        .expect('Content-Type', /^application\/json/)
        .expect('Cache-Control', 'no-store')
        .expect('Vary', 'Accept')
      const doc = response.body as StatusDocument
      expect(doc.status).to.equal('ok')
      expect(doc.health).to.include({ status: 'ok' })
      expect(doc.stats).to.include({ hits: 1, misses: 2, hitRatio: 1 / 3 })
      expect(doc.stats.namespaces['users']).to.include({ hits: 1, misses: 1, hitRatio: 0.5 })
      expect(doc.stats.namespaces['pages']).to.include({ hits: 0, misses: 1, hitRatio: 0 })
      expect(doc.stats.namespaces['users']!.hitsByTier).to.deep.equal({ l1: 0, store: 1 })
      // The same document as the cache's own methods give.
      const stats = cache.stats()
      expect(doc.stats).to.deep.equal(stats)
      for (const path of ['/cache/status/', '/cache/status?x=1']) {
        const again = (await request(app).get(path).expect(200)).body as StatusDocument
        expect(again.stats).to.deep.equal(stats)
      }
    })

    it('GET /health answers 200 while the store answers, with no authorization needed', async () => {
      const guarded = create()
      guarded.use('/s', statusRouter(cache, { authorize: () => false }))
      const response = await request(guarded).get('/s/health').expect(200)
      expect(response.body).to.deep.include({ status: 'ok', problems: [] })
      await request(guarded).get('/s').expect(403)
      await request(guarded).get('/s/metrics').expect(403)
    })

    it('GET /health answers 503 when the store does not answer, and says why', async () => {
      const down = createCache({
        redis: `redis://admin:${PASSWORD}@127.0.0.1:1`,
        prefix: uniquePrefix('down'),
        commandTimeout: 100,
      })
      try {
        const downApp = create().use('/cache/status', statusRouter(down))
        const response = await request(downApp).get('/cache/status/health').expect(503)
        const body = response.body as { status: string; problems: string[] }
        expect(body.status).to.equal('down')
        expect(body.problems).to.include('store: no answer')
        const full = await request(downApp).get('/cache/status').expect(200)
        const doc = full.body as StatusDocument
        expect(doc.status).to.equal('down')
        expect(doc.health.store.error).to.be.a('string')
        for (const text of [response.text, full.text]) expect(text).to.not.include(PASSWORD)
      } finally {
        await down.close()
      }
    })

    it('GET /metrics answers Prometheus text', async () => {
      const response = await request(app)
        .get('/cache/status/metrics')
        .expect(200)
        .expect('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
      expect(response.text).to.include('herdlock_misses_total{namespace="users"} 1\n')
      expect(response.text).to.include('# TYPE herdlock_hit_duration_seconds histogram\n')
    })

    it('serves the HTML page to browsers, JSON to everything else', async () => {
      const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
      const page = await request(app).get('/cache/status').set('Accept', browser).expect(200)
      expect(page.headers['content-type']).to.equal('text/html; charset=utf-8')
      expect(page.headers['content-security-policy']).to.match(/^default-src 'none'; style-src/)
      expect(page.text).to.match(/^<!doctype html>/)
      expect(page.text).to.include('<meta http-equiv="refresh" content="10">')
      // Self-contained: nothing to fetch, no script.
      expect(page.text).to.not.match(/(src|href)=|url\(|<script|@import|https?:\/\//i)
      for (const accept of ['*/*', 'application/json', 'application/json, text/html;q=0.5']) {
        const json = await request(app).get('/cache/status').set('Accept', accept).expect(200)
        expect(json.headers['content-type'], accept).to.match(/^application\/json/)
      }
      expect(prefersHtml('text/html')).to.equal(true)
      expect(prefersHtml('text/*;q=0.9, application/json;q=0.5')).to.equal(true)
      expect(prefersHtml('text/html;q=0')).to.equal(false)
      expect(prefersHtml(undefined)).to.equal(false)
    })

    it('guards everything but /health with authorize(req), sync or async', async () => {
      const seen: string[] = []
      const guarded = create()
      guarded.use(
        '/ops',
        statusRouter(cache, {
          authorize: (req: IncomingMessage) => {
            seen.push(req.url ?? '')
            return Promise.resolve(req.headers['x-admin'] === 'yes')
          },
        }),
      )
      for (const path of ['/ops', '/ops/metrics']) {
        const denied = await request(guarded).get(path).expect(403)
        expect(denied.text).to.not.include('hits')
        await request(guarded).get(path).set('X-Admin', 'yes').expect(200)
      }
      await request(guarded).get('/ops/health').expect(200)
      expect(seen).to.deep.equal(['/', '/', '/metrics', '/metrics'])
    })

    it('passes a throwing authorize to the error handler', async () => {
      const failing = create()
      failing.use(
        '/s',
        statusRouter(cache, {
          authorize: () => {
            throw new Error('auth backend down')
          },
        }),
      )
      failing.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).send(`handled: ${error.message}`)
      })
      const response = await request(failing).get('/s').expect(500)
      expect(response.text).to.equal('handled: auth backend down')
    })

    it('leaves other paths to the app, refuses other methods, answers HEAD', async () => {
      app.get('/cache/status/other', (_req, res) => {
        res.send('app route')
      })
      expect((await request(app).get('/cache/status/other').expect(200)).text).to.equal('app route')
      await request(app).get('/cache/status/nope').expect(404)
      const post = await request(app).post('/cache/status/health').expect(405)
      expect(post.headers['allow']).to.equal('GET, HEAD')
      const head = await request(app).head('/cache/status/metrics').expect(200)
      expect(head.text ?? '').to.equal('')
    })

    it('reveals no cache key, value, password or version in any response', async () => {
      const browser = 'text/html'
      const responses = {
        json: await request(app).get('/cache/status'),
        html: await request(app).get('/cache/status').set('Accept', browser),
        health: await request(app).get('/cache/status/health'),
        metrics: await request(app).get('/cache/status/metrics'),
      }
      for (const [label, response] of Object.entries(responses)) {
        const everything = JSON.stringify(response.headers) + response.text
        for (const secret of [SECRET_KEY, SECRET_VALUE, VERSION, process.version]) {
          expect(everything, label).to.not.include(secret)
        }
        expect(response.headers['x-powered-by']).to.equal(undefined)
      }
    })
  })
}

describe('statusRouter without Express', () => {
  let cache: Cache
  let server: Server | undefined
  beforeEach(() => {
    cache = createCache({ store: new MemoryStore() })
  })
  afterEach(async () => {
    if (server !== undefined) {
      server.close()
      await once(server, 'close')
      server = undefined
    }
    await cache.close()
  })

  it('is a plain node:http handler: no next() means 404 for unknown paths', async () => {
    server = createServer(statusRouter(cache))
    await request(server).get('/').expect(200).expect('Content-Type', /json/)
    await request(server).get('/health').expect(200)
    await request(server).get('/metrics').expect(200)
    await request(server).get('/elsewhere').expect(404)
  })

  it('is exported by the main entry too', () => {
    expect(fromMainEntry).to.equal(statusRouter)
  })

  it('validates its arguments once, naming them', () => {
    expect(() => statusRouter(undefined as never)).to.throw(InvalidOptionError, /"cache"/)
    expect(() => statusRouter(cache, { authorize: 'yes' as never })).to.throw(
      InvalidOptionError,
      /"authorize" must be a function/,
    )
    expect(() => statusRouter(cache, { refresh: 'soon' as never })).to.throw(
      InvalidOptionError,
      /"refresh"/,
    )
    expect(() => statusRouter(cache, { refresh: 0 })).to.throw(OptionRangeError, /"refresh"/)
  })
})
