import { expect } from 'chai'
import express from 'express'
import request from 'supertest'
import { sanitize } from '../../src/observe/health.js'
import {
  createCache,
  MemoryStore,
  statusRouter,
  type Cache,
  type CacheOptions,
  type HealthReport,
  type Logger,
} from '../../src/index.js'
import {
  sharedRedisUrl,
  startRedisNodes,
  stopNodes,
  uniquePrefix,
  type RedisNode,
} from '../support/redis.js'
import { sleep } from '../support/wait.js'

// Probe settings of these tests: an interval long enough to see caching, short enough to wait.
const INTERVAL_MS = 400
const COMMAND_TIMEOUT_MS = 200
// Scheduling slack on a loaded 2-core machine.
const SLACK_MS = 250

/** A memory store that counts its PINGs. */
class CountingStore extends MemoryStore {
  pings = 0
  override ping(): Promise<number> {
    this.pings++
    return super.ping()
  }
}

/**
 * Poll until `done` holds; resolves to how long that took. The health report changes only when
 * a probe runs, and the probe runs only when asked, so asking is the only way to observe it.
 */
async function timeUntil(done: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < limitMs) {
    if (await done()) return performance.now() - started
    await sleep(20)
  }
  return Number.POSITIVE_INFINITY
}

describe('Health probes', function () {
  this.timeout(30_000)
  let caches: Cache[]
  const open = (options: CacheOptions): Cache => {
    const cache = createCache({ prefix: uniquePrefix('health'), ...options })
    caches.push(cache)
    return cache
  }

  beforeEach(() => {
    caches = []
  })
  afterEach(() => Promise.all(caches.map((cache) => cache.close())))

  it('reports ok with the store, the subscriber, the lock and the breaker all well', async () => {
    const cache = open({ redis: sharedRedisUrl() })
    await cache.ready()
    const report = await cache.health()
    expect(report).to.deep.include({
      status: 'ok',
      subscriber: { up: true },
      breaker: { state: 'closed' },
      problems: [],
    })
    expect(report.store).to.include({ kind: 'redis', up: true })
    expect(report.store.latencyMs)
      .to.be.a('number')
      .and.below(COMMAND_TIMEOUT_MS * 5)
    expect(report.lock.quorum).to.equal(true)
    expect(report.lock.nodes.map((n) => n.up)).to.deep.equal([true])
    expect(Date.parse(report.checkedAt)).to.be.closeTo(Date.now(), 5_000)
  })

  it('probes at most once per interval, however often and concurrently it is asked', async () => {
    const store = new CountingStore()
    const cache = open({ store, health: { interval: INTERVAL_MS } })
    const first = await Promise.all(Array.from({ length: 100 }, () => cache.health()))
    for (let i = 0; i < 100; i++) await cache.health()
    expect(store.pings).to.equal(1)
    expect(new Set(first).size).to.equal(1)
    await sleep(INTERVAL_MS + 20) // the interval is time by nature
    const next = await cache.health()
    expect(store.pings).to.equal(2)
    expect(Date.parse(next.checkedAt)).to.be.above(Date.parse(first[0]!.checkedAt))
    await store.close()
  })

  it('reports a closed cache as down, without probing', async () => {
    const store = new CountingStore()
    const cache = open({ store })
    await cache.close()
    const report = await cache.health()
    expect(report).to.include({ status: 'down' })
    expect(report.problems).to.deep.equal(['cache: closed'])
    expect(store.pings).to.equal(0)
    await store.close()
  })

  describe('with the store on its own server', () => {
    let node: RedisNode
    before(async () => {
      ;[node] = (await startRedisNodes(1)) as [RedisNode]
    })
    after(() => stopNodes([node]))
    afterEach(async () => {
      if (!node.running) await node.restart()
    })

    it('/health flips to 503 within one probe interval when Redis stops, back to 200 after a restart', async () => {
      const cache = open({
        redis: node.url,
        commandTimeout: COMMAND_TIMEOUT_MS,
        health: { interval: INTERVAL_MS },
      })
      await cache.ready()
      const app = express().use('/cache/status', statusRouter(cache))
      const health = () => request(app).get('/cache/status/health')
      expect((await health()).status).to.equal(200)

      await node.stop()
      let down: request.Response | undefined
      const flipped = await timeUntil(async () => (down = await health()).status === 503, 5_000)
      // The cached report may be up to one interval old, then the probe takes its deadline.
      expect(flipped).to.be.below(INTERVAL_MS + COMMAND_TIMEOUT_MS + SLACK_MS)
      const body = down!.body as { status: string; problems: string[] }
      expect(body.status).to.equal('down')
      expect(body.problems).to.include('store: no answer')
      const report = await cache.health()
      expect(report.store.up).to.equal(false)
      expect(report.store.error).to.be.a('string').and.not.equal('')

      await node.restart()
      // node-redis reconnects with a backoff of at most ~1 s, then the next probe sees it.
      const back = await timeUntil(async () => (await health()).status === 200, 10_000)
      expect(back).to.be.below(INTERVAL_MS + 1_050 + COMMAND_TIMEOUT_MS + SLACK_MS)
    })

    it('reports the breaker opening and the errors behind it, logging once per outage', async () => {
      const logged: { level: string; component: unknown }[] = []
      const log = (level: string) => (context: object) =>
        logged.push({ level, component: (context as { component?: unknown }).component })
      const logger: Logger = {
        debug: log('debug'),
        info: log('info'),
        warn: log('warn'),
        error: log('error'),
      }
      const cache = open({
        redis: node.url,
        commandTimeout: COMMAND_TIMEOUT_MS,
        breaker: { threshold: 2, cooldown: '1h' },
        health: { interval: 1 },
        logger,
      })
      await cache.set('k', 1)
      await node.stop()
      for (let i = 0; i < 50; i++) expect(await cache.get('k')).to.equal(undefined)
      const report = await cache.health()
      expect(report.breaker.state).to.equal('open')
      expect(report.status).to.equal('down')
      expect(report.problems).to.include('breaker: open (store calls are being skipped)')
      const stats = cache.stats()
      expect(stats.breakerTransitions).to.deep.include({ open: 1 })
      expect(stats.errorsBySource['store']).to.be.at.least(2)
      // 50 failed calls, one log line for the store going down.
      const storeWarnings = logged.filter((l) => l.level === 'warn' && l.component === 'store')
      expect(storeWarnings).to.have.length(1)
    })
  })

  describe('with three lock nodes', () => {
    let nodes: RedisNode[]
    before(async () => {
      nodes = await startRedisNodes(3)
    })
    after(() => stopNodes(nodes))
    afterEach(async () => {
      for (const node of nodes) if (!node.running) await node.restart()
    })

    it('reports each node, and the quorum lost when 2 of 3 nodes stop', async () => {
      const cache = open({
        redis: sharedRedisUrl(),
        lock: { nodes: nodes.map((n) => n.url) },
        commandTimeout: COMMAND_TIMEOUT_MS,
        health: { interval: 1 },
      })
      await cache.ready()
      const up = (report: HealthReport): boolean[] => report.lock.nodes.map((n) => n.up)
      const ok = await cache.health()
      expect(ok.status).to.equal('ok')
      expect(up(ok)).to.deep.equal([true, true, true])

      await nodes[2]!.stop()
      const one = await cache.health()
      expect(up(one)).to.deep.equal([true, true, false])
      expect(one.lock.quorum).to.equal(true)
      expect(one.status).to.equal('degraded')
      expect(one.problems).to.deep.equal(['lock: node 2 down'])

      await nodes[1]!.stop()
      const two = await cache.health()
      expect(up(two)).to.deep.equal([true, false, false])
      expect(two.lock.quorum).to.equal(false)
      expect(two.status).to.equal('degraded')
      expect(two.problems).to.deep.equal([
        'lock: quorum lost, 2 of 3 nodes down',
        'lock: node 1 down',
        'lock: node 2 down',
      ])
      // The store still answers: the cache works (cacheFn runs without the lock), so 200.
      const app = express().use('/cache/status', statusRouter(cache))
      const response = await request(app).get('/cache/status/health').expect(200)
      expect(response.body).to.deep.include({ status: 'degraded' })
      // No node is ever named by its URL.
      const json = JSON.stringify(two)
      for (const node of nodes) expect(json).to.not.include(node.url.replace('redis://', ''))
    })
  })

  it('never puts credentials from connection URLs into a report', async () => {
    const secret = 's3cret-Pa55'
    // A port nothing listens on: the connection fails, and its error is reported.
    const cache = open({
      redis: `redis://admin:${secret}@127.0.0.1:1`,
      commandTimeout: COMMAND_TIMEOUT_MS,
      health: { interval: 1 },
    })
    const report = await cache.health()
    expect(report.status).to.equal('down')
    expect(JSON.stringify(report)).to.not.include(secret)
    expect(
      sanitize(new Error(`herdlock: cannot reach redis://admin:${secret}@db:6379/0`)),
    ).to.equal('cannot reach redis://***@db:6379/0')
    expect(sanitize(new Error('x'.repeat(500)))).to.have.length(200)
  })
})
