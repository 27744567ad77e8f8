import { expect } from 'chai'
import type { Cache } from '../../src/index.js'
import type { LocalCluster } from '../support/local-cluster.js'
import { ClusterInstances, useFailoverCluster } from './instances.js'
import { uniquePrefix } from '../support/redis.js'

/** One cacheFn call as its caller saw it. */
interface Call {
  readonly instance: number
  readonly key: string
  readonly start: number
  readonly ms: number
  readonly status: string
  readonly degraded: boolean
}

const FN_MS = 20
const COMMAND_TIMEOUT_MS = 500
// Scheduling slack on a loaded 2-core machine; one command timeout is the bound under test.
const BOUND_SLACK_MS = 400

/**
 * A master SIGKILLed under continuous traffic from several instances (issue: scale-out on Redis
 * Cluster). Its replica is promoted after the node timeout; meanwhile the slot has no master.
 */
describe('Redis Cluster: failover under load', function () {
  this.timeout(90_000)
  const opened = new ClusterInstances()
  const started = useFailoverCluster(opened)
  let cluster: LocalCluster
  before(() => {
    cluster = started()
  })

  /** The health status once it is `ok`, or the last one seen after `withinMs`. */
  async function healthRecovers(cache: Cache, withinMs: number): Promise<string> {
    const deadline = performance.now() + withinMs
    for (;;) {
      const { status } = await cache.health()
      if (status === 'ok' || performance.now() > deadline) return status
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  const instance = (prefix: string): Promise<Cache> =>
    opened.open(cluster, { prefix, commandTimeout: COMMAND_TIMEOUT_MS })

  it('every call resolves within its bound, and hits resume soon after the promotion', async () => {
    const prefix = uniquePrefix('failover')
    const instances = await Promise.all([0, 1, 2].map(() => instance(prefix)))
    await Promise.all(instances.map((cache) => cache.ready()))
    const keys = await cluster.keysOnEveryMaster(
      (i) => `key-${i}`,
      (key) => `{default:${key}}`,
    )
    const victim = await cluster.masterOf(`{default:${keys[0]!}}`)
    const calls: Call[] = []
    let running = true
    const loop = async (cache: Cache, index: number, key: string): Promise<void> => {
      while (running) {
        const start = performance.now()
        const result = await cache.cacheFnResult(
          key,
          () => new Promise<string>((resolve) => setTimeout(resolve, FN_MS, 'v')),
          { ttl: 300 },
        )
        const ms = performance.now() - start
        calls.push({
          instance: index,
          key,
          start,
          ms,
          status: result.status,
          degraded: result.degraded,
        })
      }
    }
    const loops = instances.flatMap((cache, i) => keys.map((key) => loop(cache, i, key)))
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const killedAt = performance.now()
    await victim.server.stop()
    let promotedAt = Number.POSITIVE_INFINITY
    while (performance.now() - killedAt < 20_000) {
      const owner = await cluster.masterOf(`{default:${keys[0]!}}`).catch(() => undefined)
      if (owner !== undefined && owner !== victim) {
        promotedAt = performance.now()
        break
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await new Promise((resolve) => setTimeout(resolve, 6_000))
    running = false
    await Promise.all(loops)

    const onVictim = calls.filter((call) => call.key === keys[0])
    const during = onVictim.filter((c) => c.start >= killedAt && c.start < promotedAt)
    const firstHitAfter = onVictim.find(
      (c) => c.start >= promotedAt && c.status === 'hit' && !c.degraded,
    )
    const others = calls.filter((c) => c.key !== keys[0] && c.start >= killedAt)
    const worst = (list: Call[]): number => Math.max(0, ...list.map((c) => c.ms))
    const figures = {
      promotionMs: Math.round(promotedAt - killedAt),
      victimCallsDuring: during.length,
      victimDegradedDuring: during.filter((c) => c.degraded).length,
      worstVictimMs: Math.round(worst(onVictim)),
      hitsResumeAfterPromotionMs:
        firstHitAfter === undefined ? undefined : Math.round(firstHitAfter.start - promotedAt),
      otherKeyCalls: others.length,
      otherKeysDegraded: others.filter((c) => c.degraded).length,
      worstOtherMs: Math.round(worst(others)),
    }
    console.log(`      failover: ${JSON.stringify(figures)}`)
    expect(promotedAt, 'a replica was promoted').to.be.below(Number.POSITIVE_INFINITY)
    // While the slot has no master its calls fail open (computed, not stored), each paying one
    // command timeout at most, not one per step (read, lock, re-check, write, notice).
    expect(during.length, 'calls made while the slot had no master').to.be.above(0)
    expect(figures.worstVictimMs).to.be.below(COMMAND_TIMEOUT_MS + FN_MS + BOUND_SLACK_MS)
    expect(figures.worstOtherMs).to.be.below(COMMAND_TIMEOUT_MS + FN_MS + BOUND_SLACK_MS)
    // Failures are counted per master: the dead master's breaker opens, so most of its keys'
    // calls fail open at once instead of each waiting out the command timeout (one breaker for
    // the whole cluster never opens while the healthy masters' successes keep resetting it),
    // and the healthy masters' keys never fail open.
    const fast = during.filter((c) => c.ms < COMMAND_TIMEOUT_MS / 5).length
    expect(fast, 'calls on the dead master that failed fast').to.be.above(during.length / 2)
    expect(figures.otherKeysDegraded, 'degraded calls on healthy masters').to.equal(0)
    // The slot map is asked for again while the dead master fails, so hits come back soon after
    // the promotion (node-redis alone waits 5 s after the failures start).
    expect(figures.hitsResumeAfterPromotionMs, 'hits after the promotion').to.be.below(5_000)
    // The episode shows in the stats, and the health recovers (the dead master's breaker is
    // forgotten once no key maps to it).
    for (const cache of instances) {
      expect(cache.stats().errorsBySource['store'] ?? 0).to.be.above(0)
      expect(await healthRecovers(cache, 10_000)).to.equal('ok')
    }
  })
})
