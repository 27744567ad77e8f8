import { expect } from 'chai'
import { createClient } from 'redis'
import type { Cache } from '../../src/index.js'
import { sharedCluster, type LocalCluster } from '../support/local-cluster.js'
import { LocalRedis } from '../support/local-redis.js'
import { uniquePrefix } from '../support/redis.js'
import { deferred } from '../support/wait.js'
import { ClusterInstances } from './instances.js'

/**
 * The two lock shapes of a cluster deployment (README "Running on Redis Cluster"):
 * - the lock on the cluster itself: each key's lock is one key on that key's master, so it is
 *   an efficiency lock (a failover can lose it before it replicated), and the fence on every
 *   write is what keeps a late holder from overwriting newer data;
 * - `lock.nodes`: a Redlock quorum of independent masters beside the cluster store, which keeps
 *   one holder per key while a minority of lock nodes is down.
 */
describe('Redis Cluster: lock shapes', function () {
  this.timeout(60_000)
  let cluster: LocalCluster
  const opened = new ClusterInstances()

  before(async () => {
    cluster = await sharedCluster()
  })
  afterEach(() => opened.close())

  /** `count` callers on each of three instances for `key`; resolves to how often fn ran. */
  async function stampede(caches: Cache[], key: string, gate: Promise<void>): Promise<number> {
    let runs = 0
    const calls = caches.flatMap((cache) =>
      Array.from({ length: 5 }, () =>
        cache.cacheFn(
          key,
          async () => {
            runs++
            await gate
            return `value of ${key}`
          },
          { ttl: '1m', lockTtl: '10s' },
        ),
      ),
    )
    const values = await Promise.all(calls)
    expect(new Set(values)).to.deep.equal(new Set([`value of ${key}`]))
    return runs
  }

  it("on the cluster itself: a key's lock is one key on that key's master", async () => {
    const prefix = uniquePrefix('lockshape')
    const caches = await Promise.all([0, 1, 2].map(() => opened.open(cluster, { prefix })))
    await Promise.all(caches.map((cache) => cache.ready()))
    const [key] = await cluster.keysOnEveryMaster(
      (i) => `key-${i}`,
      (name) => `{default:${name}}`,
    )
    const gate = deferred()
    const acquired = acquisitions(caches, 1)
    const runs = stampede(caches, key!, gate.promise)
    await acquired
    const lockKey = `${prefix}:l:{default:${key!}}`
    const owner = await cluster.masterOf(lockKey)
    // One key on one master (the cluster refuses it anywhere else): no quorum.
    const held = await holds(owner.server.url, lockKey)
    gate.resolve()
    expect(await runs).to.equal(1)
    expect(held).to.equal(true)
  })

  describe('with lock.nodes (a Redlock quorum of independent servers)', () => {
    const lockNodes: LocalRedis[] = []
    before(async () => {
      for (let i = 0; i < 3; i++) lockNodes.push(await LocalRedis.start())
    })
    after(() => Promise.all(lockNodes.map((node) => node.stop())))

    it('computes each key once with one of three lock nodes down', async () => {
      await lockNodes[2]!.stop()
      const prefix = uniquePrefix('quorum')
      const lock = { nodes: lockNodes.map((node) => node.url) }
      const caches = await Promise.all([0, 1, 2].map(() => opened.open(cluster, { prefix, lock })))
      await Promise.all(caches.map((cache) => cache.ready()))
      const keys = await cluster.keysOnEveryMaster(
        (i) => `key-${i}`,
        (name) => `{default:${name}}`,
      )
      const gate = deferred()
      const acquired = acquisitions(caches, keys.length)
      const runs = Promise.all(keys.map((key) => stampede(caches, key, gate.promise)))
      await acquired
      // Every key's lock is held on the two live lock nodes, none on the cluster.
      for (const key of keys) {
        const lockKey = `${prefix}:l:{default:${key}}`
        const live = await Promise.all(lockNodes.slice(0, 2).map((n) => holds(n.url, lockKey)))
        expect(live).to.deep.equal([true, true])
        expect(await cluster.masterOf(lockKey).then((m) => holds(m.server.url, lockKey))).to.equal(
          false,
        )
      }
      gate.resolve()
      expect(await runs).to.deep.equal(keys.map(() => 1))
    })
  })
})

/** Whether the server at `url` holds `key`. */
async function holds(url: string, key: string): Promise<boolean> {
  const client = createClient({ url })
  await client.connect()
  try {
    return (await client.exists(key)) === 1
  } finally {
    await client.close()
  }
}

/**
 * Resolves once `count` locks were taken across `caches`: acquired, or taken over by a waiter
 * (with two live lock nodes, two instances can split the votes; the loser then waits and may
 * take the lock once it is free, which is reported as a takeover).
 */
function acquisitions(caches: readonly Cache[], count: number): Promise<void> {
  const done = deferred()
  let seen = 0
  const events = ['lock:acquired', 'lock:takeover'] as const
  const listener = (): void => {
    if (++seen < count) return
    for (const cache of caches) for (const event of events) cache.off(event, listener)
    done.resolve()
  }
  for (const cache of caches) for (const event of events) cache.on(event, listener)
  return done.promise
}
