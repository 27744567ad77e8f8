import { expect } from 'chai'
import type { Express, Request, Response } from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import request from 'supertest'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
import { cacheRoute, type CacheRouteOptions } from '../../middleware/index.js'
import { deferred, sleep } from '../support/wait.js'
import { EXPRESS_VERSIONS } from './apps.js'

/**
 * Review 3: the shared-mode retry of answerUnshared (a request collapsed onto another's
 * unshareable 200 with a validator looks up once more). Express puts an ETag on every
 * res.send, so every private / Set-Cookie response qualifies. N concurrent requests:
 * the handler must still run N times, and the followers must not queue behind one another.
 */

const N = 6
const HOLD_MS = 150

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`review3: answerUnshared retry on ${name}`, () => {
    let cache: Cache
    let app: Express
    let server: Server

    beforeEach(() => {
      cache = createCache({ store: new MemoryStore() })
      app = create()
    })
    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve))
      await cache.close()
    })

    const listen = async () => {
      server = app.listen(0, '127.0.0.1')
      await new Promise((resolve) => server.once('listening', resolve))
    }
    const get = (path: string, headers: Record<string, string> = {}) =>
      request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
        .get(path)
        .set(headers)

    /** Mount a route whose handler takes HOLD_MS; returns run stats. */
    function mount(options: CacheRouteOptions, answer: (res: Response, run: number) => void) {
      const stats = { runs: 0, active: 0, peakAfterFirst: 0, first: deferred() }
      app.get('/p', cacheRoute(cache, options), async (_req: Request, res: Response) => {
        const run = ++stats.runs
        stats.active++
        if (run > 1) stats.peakAfterFirst = Math.max(stats.peakAfterFirst, stats.active)
        if (run === 1) stats.first.resolve()
        await sleep(HOLD_MS)
        stats.active--
        answer(res, run)
      })
      return stats
    }

    /** The first request, then N-1 more once its handler runs (they collapse onto it). */
    async function herd(first: Promise<void>, headers: Record<string, string> = {}) {
      const leader = get('/p', headers).then((r) => r)
      await first
      await sleep(30)
      const rest = Array.from({ length: N - 1 }, () => get('/p', headers).then((r) => r))
      return Promise.all([leader, ...rest])
    }

    for (const [label, answer] of [
      [
        'private',
        (res: Response, run: number) =>
          res.set('cache-control', 'private, max-age=60').send(`p${run}`),
      ],
      [
        'Set-Cookie',
        (res: Response, run: number) =>
          res.set('cache-control', 'max-age=60').cookie('s', String(run)).send(`c${run}`),
      ],
    ] as const) {
      it(`${label} + Express ETag, ${N} concurrent: the handler runs ${N} times, followers in parallel (no second queue)`, async function () {
        this.timeout(10_000)
        const stats = mount({ mode: 'shared', ttl: '1m' }, answer)
        await listen()
        const started = performance.now()
        const replies = await herd(stats.first.promise)
        const elapsed = performance.now() - started
        const note = `runs=${stats.runs} peak=${stats.peakAfterFirst} ${Math.round(elapsed)}ms`
        // Each client gets its own answer (never another's Set-Cookie or private body).
        const bodies = replies.map((r) => r.text)
        expect(new Set(bodies).size, `bodies ${bodies.join(',')}`).to.equal(N)
        expect(stats.runs, note).to.equal(N)
        // Followers run the handler together once the leader's answer is out: two handler
        // times in all, not three (leader, then one retry leader, then the rest).
        expect(stats.peakAfterFirst, note).to.equal(N - 1)
        expect(elapsed, note).to.be.below(HOLD_MS * 3)
      })
    }

    it('followers revalidating a private response with its ETag still get their 304', async function () {
      this.timeout(10_000)
      const stats = mount({ mode: 'shared', ttl: '1m' }, (res) =>
        res.set('cache-control', 'private, max-age=60').send('the same body'),
      )
      await listen()
      const etag = (await get('/p')).headers['etag'] as string
      stats.first = deferred()
      stats.runs = 0
      const replies = await herd(stats.first.promise, { 'if-none-match': etag })
      // The first request is sent to the origin without its validators (as before the change);
      // each follower used to run the handler with its own and get a 304.
      expect(replies.slice(1).map((r) => r.status)).to.deep.equal(Array(N - 1).fill(304))
    })
  })
}
