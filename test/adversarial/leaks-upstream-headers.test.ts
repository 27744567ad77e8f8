/**
 * Attack on what a hit replays: headers that middleware ahead of the cache put on the response
 * (request ids, rate-limit counters, helmet's and cors' headers) belong to that request; a hit
 * must carry the current request's own values, never the ones of the request that was stored.
 */
import { expect } from 'chai'
import cors from 'cors'
import helmet from 'helmet'
import morgan from 'morgan'
import type { NextFunction, Request, Response } from 'express'
import { cacheRoute } from '../../middleware/index.js'
import { TARGETS, useTarget } from './support.js'

for (const target of TARGETS) {
  describe(`adversarial: headers set ahead of the cache are not replayed (${target.name})`, () => {
    const t = useTarget(target)

    it('replays what the handler produced, with this request id and rate-limit counters', async () => {
      let requests = 0
      t.app.use(morgan(() => null))
      t.app.use(helmet())
      t.app.use(cors({ origin: true }))
      t.app.use((_req: Request, res: Response, next: NextFunction) => {
        requests++
        res.set('X-Request-Id', `req-${requests}`)
        res.set('X-RateLimit-Remaining', String(100 - requests))
        next()
      })
      t.app.get('/r', cacheRoute(t.cache, { ttl: '1h' }), (_req, res) => {
        res.set('X-From-Handler', 'yes').json({ ok: true })
      })
      const live = await t.start()
      await live.get('/r', { origin: 'https://a.example' })
      const hit = await live.get('/r', { origin: 'https://b.example' })
      expect(hit.headers['x-cache']).to.equal('HIT')
      expect(hit.headers['x-from-handler']).to.equal('yes')
      expect(hit.headers['x-request-id']).to.equal('req-2')
      expect(hit.headers['x-ratelimit-remaining']).to.equal('98')
      expect(hit.headers['access-control-allow-origin']).to.equal('https://b.example')
      expect(hit.headers['content-security-policy']).to.be.a('string')
    })
  })
}
