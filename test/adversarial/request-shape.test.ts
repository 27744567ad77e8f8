/**
 * Attacks through a client's own request shape: aborting on a miss, Range, If-Match,
 * If-Unmodified-Since, invalid dates and safe methods affect that request alone. None of them
 * may turn collapsing or storing off for other clients, plant a hit-for-pass marker, answer
 * another client's request, or drop entries.
 */
import { expect } from 'chai'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { NextFunction, Request, Response } from 'express'
import { cacheRoute } from '../../middleware/index.js'
import { nextEvent, record } from '../support/events.js'
import { deferred } from '../support/wait.js'
import { TARGETS, useTarget } from './support.js'

for (const target of TARGETS) {
  describe(`adversarial: a client's request shape stays its own (${target.name})`, () => {
    const t = useTarget(target, { tempDir: 'herdlock-shape-' })
    let runs = 0
    beforeEach(() => {
      runs = 0
    })

    it('a client aborting on a miss neither fails the requests collapsed on it nor disables storing', async () => {
      const release = deferred()
      const started = deferred()
      const gone = deferred()
      const joined = deferred()
      const route = cacheRoute(t.cache, { ttl: '1h' })
      let arrivals = 0
      t.app.get(
        '/slow',
        (req, res, next) => {
          route(req, res, next)
          if (++arrivals === 2) joined.resolve()
        },
        async (_req, res) => {
          runs++
          if (runs === 1) {
            res.once('close', () => gone.resolve())
            started.resolve()
            await release.promise
          }
          res.send(`report ${runs}`)
        },
      )
      const server = await t.start()
      const leaver = server.send('/slow')
      await started.promise
      const patient = server.get('/slow')
      await joined.promise
      leaver.abort()
      await gone.promise
      release.resolve()
      const answer = await patient
      expect(answer.status).to.equal(200)
      expect(answer.text).to.match(/^report \d$/)
      const next = await server.get('/slow')
      expect(next.headers['x-cache']).to.equal('HIT')
      expect(runs).to.be.at.most(2)
    })

    it('a Range request on a miss stores the full response and plants no pass marker', async () => {
      const file = join(t.dir, 'big.txt')
      writeFileSync(file, 'abcdefghij'.repeat(100))
      const skips = record(t.cache, 'cache:skip')
      t.app.get('/file', cacheRoute(t.cache, { ttl: '1h' }), (_req, res) => {
        runs++
        res.sendFile(file)
      })
      const server = await t.start()
      const ranged = await server.get('/file', { range: 'bytes=0-3' })
      expect([200, 206]).to.include(ranged.status)
      if (ranged.status === 206) expect(ranged.text).to.equal('abcd')
      else expect(ranged.body.length).to.equal(1000)
      const full = await server.get('/file')
      expect(full.status).to.equal(200)
      expect(full.body.length).to.equal(1000)
      const hit = await server.get('/file', { range: 'bytes=0-3' })
      expect(hit.headers['x-cache']).to.equal('HIT')
      expect(skips).to.deep.equal([])
    })

    it('If-Match and If-Unmodified-Since on a miss answer that client alone and plant no pass marker', async () => {
      const file = join(t.dir, 'doc.txt')
      writeFileSync(file, 'document')
      const skips = record(t.cache, 'cache:skip')
      t.app.get('/doc', cacheRoute(t.cache, { ttl: '1h' }), (_req, res) => {
        runs++
        res.sendFile(file)
      })
      // Express's final handler would log the 412s send() raises: answer them quietly.
      t.app.use((error: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
        res.status(error.status ?? 500).end()
      })
      const server = await t.start()
      const ifMatch = await server.get('/doc', { 'if-match': '"not-the-etag"' })
      expect(ifMatch.status).to.equal(412)
      const ifUnmodified = await server.get('/doc', {
        'if-unmodified-since': 'Sun, 06 Nov 1994 08:49:37 GMT',
      })
      expect(ifUnmodified.status).to.equal(412)
      const first = await server.get('/doc')
      expect(first.status).to.equal(200)
      expect(first.text).to.equal('document')
      const second = await server.get('/doc')
      expect(second.headers['x-cache']).to.equal('HIT')
      expect(skips).to.deep.equal([])
      expect(runs).to.equal(3)
    })

    it('OPTIONS never invalidates, even with invalidateOnUnsafe', async () => {
      t.app.all('/thing', cacheRoute(t.cache, { invalidateOnUnsafe: true }), (req, res) => {
        runs++
        res.send(`${req.method} ${runs}`)
      })
      const invalidations = record(t.cache, 'cache:invalidate')
      const server = await t.start()
      await server.get('/thing')
      const options = await server.get('/thing', {}, 'OPTIONS')
      expect(options.status).to.equal(200)
      await server.get('/thing', {}, 'TRACE')
      // A POST does invalidate: once its invalidation is seen, any earlier one would be too.
      const posted = nextEvent(t.cache, 'cache:invalidate')
      await server.get('/thing', {}, 'POST')
      await posted
      expect(invalidations).to.have.length(1)
      expect((await server.get('/thing')).headers['x-cache']).to.equal('MISS')
    })

    it('an invalid If-Modified-Since never yields a 304; the three HTTP-date forms do', async () => {
      t.app.get('/dated', cacheRoute(t.cache, { ttl: '1h' }), (_req, res) => {
        runs++
        res.set('Last-Modified', 'Sun, 06 Nov 1994 08:49:37 GMT').send('dated')
      })
      const server = await t.start()
      await server.get('/dated')
      for (const invalid of [
        '3000',
        '2100',
        'tomorrow',
        '9999-01-01',
        'Sun, 06 Nov 1994 08:49:37',
        '1e20',
      ]) {
        const res = await server.get('/dated', { 'if-modified-since': invalid })
        expect(res.status, invalid).to.equal(200)
        expect(res.text).to.equal('dated')
      }
      for (const valid of [
        'Sun, 06 Nov 1994 08:49:37 GMT',
        'Sunday, 06-Nov-94 08:49:37 GMT',
        'Sun Nov  6 08:49:37 1994',
      ]) {
        const res = await server.get('/dated', { 'if-modified-since': valid })
        expect(res.status, valid).to.equal(304)
      }
      const older = await server.get('/dated', {
        'if-modified-since': 'Sat, 05 Nov 1994 08:49:37 GMT',
      })
      expect(older.status).to.equal(200)
      expect(runs).to.equal(1)
    })
  })
}
