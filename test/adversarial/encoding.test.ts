/**
 * Attacks on Content-Encoding: a hit's bytes always match its Content-Encoding, whichever order
 * compression is mounted in and however the handler writes its headers, and a client that
 * refuses an encoding never gets it from the cache.
 */
import { expect } from 'chai'
import compression from 'compression'
import helmet from 'helmet'
import { cacheRoute } from '../../middleware/index.js'
import { decode, TARGETS, useTarget } from './support.js'

const BODY = JSON.stringify({
  rows: Array.from({ length: 300 }, (_, i) => ({ i, name: `row ${i}` })),
})

for (const target of TARGETS) {
  describe(`adversarial: Content-Encoding always matches the bytes (${target.name})`, () => {
    const t = useTarget(target)

    it('compression() before cacheRoute and a handler calling res.writeHead: hits decode', async () => {
      t.app.use(helmet())
      t.app.get('/wh', compression(), cacheRoute(t.cache), (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(BODY)
      })
      const live = await t.start()
      for (const accept of ['gzip', 'identity', 'gzip', 'br', 'identity']) {
        const res = await live.get('/wh', { 'accept-encoding': accept })
        expect(res.status).to.equal(200)
        expect(
          () => decode(res.headers, res.body),
          `${accept}: ${String(res.headers['x-cache'])}`,
        ).to.not.throw()
        expect(decode(res.headers, res.body)).to.equal(BODY)
        const encoding = res.headers['content-encoding'] ?? 'identity'
        expect(accept, `asked ${accept}, got ${encoding}`).to.include(encoding)
      }
    })

    it('never sends gzip to "Accept-Encoding: gzip;q=0, *"', async () => {
      t.app.get('/table', cacheRoute(t.cache), compression(), (_req, res) => {
        res.type('application/json').send(BODY)
      })
      const live = await t.start()
      // Accepts br, gzip and deflate but prefers gzip: compression() answers gzip, stored as
      // the variant of clients that accept all three.
      const gzip = await live.get('/table', { 'accept-encoding': 'br;q=0.5, gzip, deflate' })
      expect(gzip.headers['content-encoding']).to.equal('gzip')
      for (const refusing of ['gzip;q=0, *', 'gzip;q=0,*;q=0.5', 'GZIP;Q=0, *']) {
        const res = await live.get('/table', { 'accept-encoding': refusing })
        expect(res.headers['content-encoding'], refusing).to.not.equal('gzip')
        expect(decode(res.headers, res.body)).to.equal(BODY)
      }
    })
  })
}
