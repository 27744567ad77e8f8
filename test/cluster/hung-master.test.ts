import { expect } from 'chai'
import type { Cache } from '../../src/index.js'
import type { LocalCluster } from '../support/local-cluster.js'
import { ClusterInstances, useFailoverCluster } from './instances.js'
import { uniquePrefix } from '../support/redis.js'

/** One cacheFn call as its caller saw it. */
interface Call {
  readonly key: string
  readonly start: number
  readonly end: number
  readonly status: string
  readonly degraded: boolean
}

const COMMAND_TIMEOUT_MS = 500
// Scheduling slack on a loaded 2-core machine; one command timeout is the bound under test.
const BOUND_SLACK_MS = 400
// After the promotion: one breaker cooldown, one command timeout, a slot map, and slack.
const RESUME_BOUND_MS = 3_000
const WATCH_AFTER_PROMOTION_MS = 6_000

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A master stopped by SIGSTOP under load (issue 14). Unlike a dead one it closes no connection:
 * its commands are not refused, they go unanswered until the store's deadline. Its replica is
 * promoted after the node timeout; only a new slot map sends its keys there, and nothing but
 * those deadlines says that the map is stale (node-redis's own refresh waits for reconnection
 * attempts, and a stopped server's connections never drop).
 */
describe('Redis Cluster: a hung master (SIGSTOP) under load', function () {
  this.timeout(90_000)
  const opened = new ClusterInstances()
  const started = useFailoverCluster(opened)
  let cluster: LocalCluster
  before(() => {
    cluster = started()
  })

  /** When a node other than `victim` serves `key` as master (polled), or Infinity. */
  async function promotion(key: string, victim: unknown, withinMs: number): Promise<number> {
    const since = performance.now()
    while (performance.now() - since < withinMs) {
      const owner = await cluster.masterOf(key).catch(() => undefined)
      if (owner !== undefined && owner !== victim) return performance.now()
      await delay(50)
    }
    return Number.POSITIVE_INFINITY
  }

  it('hits on its keys resume within seconds of the promotion, every call within its bound', async () => {
    const prefix = uniquePrefix('hung')
    const cache: Cache = await opened.open(cluster, { prefix, commandTimeout: COMMAND_TIMEOUT_MS })
    await cache.ready()
    const keys = await cluster.keysOnEveryMaster(
      (i) => `key-${i}`,
      (key) => `{default:${key}}`,
    )
    const victimKey = `{default:${keys[0]!}}`
    const victim = await cluster.masterOf(victimKey)
    const calls: Call[] = []
    let running = true
    const loop = async (key: string): Promise<void> => {
      while (running) {
        const start = performance.now()
        // A long ttl: the promoted replica holds the entry, so a call that reaches it is a hit.
        const result = await cache.cacheFnResult(key, () => 'v', { ttl: '1m' })
        calls.push({
          key,
          start,
          end: performance.now(),
          status: result.status,
          degraded: result.degraded,
        })
        await delay(5)
      }
    }
    const loops = keys.map((key) => loop(key))
    await delay(1_000)
    const pausedAt = performance.now()
    await victim.server.pause()
    try {
      const promotedAt = await promotion(victimKey, victim, 20_000)
      await delay(WATCH_AFTER_PROMOTION_MS)
      running = false
      await Promise.all(loops)

      const onVictim = calls.filter((c) => c.key === keys[0] && c.start >= pausedAt)
      const firstHit = onVictim.find(
        (c) => c.start >= promotedAt && c.status === 'hit' && !c.degraded,
      )
      const others = calls.filter((c) => c.key !== keys[0] && c.start >= pausedAt)
      const worst = (list: Call[]): number => Math.max(0, ...list.map((c) => c.end - c.start))
      const figures = {
        promotionMs: Math.round(promotedAt - pausedAt),
        hitsResumeAfterPromotionMs:
          firstHit === undefined ? undefined : Math.round(firstHit.start - promotedAt),
        firstHitEndsAfterPromotionMs:
          firstHit === undefined ? undefined : Math.round(firstHit.end - promotedAt),
        victimCalls: onVictim.length,
        victimDegraded: onVictim.filter((c) => c.degraded).length,
        worstVictimMs: Math.round(worst(onVictim)),
        otherKeysDegraded: others.filter((c) => c.degraded).length,
        worstOtherMs: Math.round(worst(others)),
      }
      console.log(`      hung master: ${JSON.stringify(figures)}`)
      expect(promotedAt, 'a replica was promoted').to.be.below(Number.POSITIVE_INFINITY)
      expect(figures.worstVictimMs).to.be.below(COMMAND_TIMEOUT_MS + BOUND_SLACK_MS)
      expect(figures.worstOtherMs).to.be.below(COMMAND_TIMEOUT_MS + BOUND_SLACK_MS)
      expect(figures.otherKeysDegraded, 'degraded calls on healthy masters').to.equal(0)
      // The deadlines ask for the slot map: once the replica is promoted, the keys move to it.
      expect(figures.hitsResumeAfterPromotionMs, 'hits after the promotion').to.be.below(
        RESUME_BOUND_MS,
      )
    } finally {
      // The old master wakes up, learns it was failed over and rejoins as a replica.
      await victim.server.resume()
      running = false
      await Promise.all(loops)
      await cluster.waitHealthy()
    }
  })
})
