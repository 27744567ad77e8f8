import { expect } from 'chai'
import type { Cache } from '../../src/index.js'
import { LocalCluster } from '../support/local-cluster.js'
import { ClusterInstances } from './instances.js'
import { uniquePrefix } from '../support/redis.js'

/**
 * A slot holding cached keys migrated to another master while several instances keep calling
 * (issue: scale-out on Redis Cluster): MOVED and ASK are followed, no call fails, and a fresh
 * key is never computed a second time.
 */
describe('Redis Cluster: resharding under load', function () {
  this.timeout(90_000)
  let cluster: LocalCluster
  const opened = new ClusterInstances()

  before(async () => {
    cluster = await LocalCluster.start({ masters: 3, replicas: 0 })
  })
  after(async () => {
    await opened.close()
    await cluster.stop()
  })

  const instance = (prefix: string): Promise<Cache> => opened.open(cluster, { prefix })

  it('calls continue through a slot migration: none fails, none runs the function again', async () => {
    const prefix = uniquePrefix('reshard')
    const instances = await Promise.all([0, 1, 2].map(() => instance(prefix)))
    await Promise.all(instances.map((cache) => cache.ready()))
    const keys = await cluster.keysOnEveryMaster(
      (i) => `key-${i}`,
      (key) => `{default:${key}}`,
    )
    const moving = `{default:${keys[0]!}}`
    const runs = new Map<string, number>()
    const failures: unknown[] = []
    const degraded: string[] = []
    let calls = 0
    let running = true
    const loop = async (cache: Cache, key: string): Promise<void> => {
      while (running) {
        try {
          const result = await cache.cacheFnResult(
            key,
            () => {
              runs.set(key, (runs.get(key) ?? 0) + 1)
              return new Promise<string>((resolve) => setTimeout(resolve, 20, `v-${key}`))
            },
            { ttl: '10m', tags: ['moving-test'] },
          )
          if (result.degraded) degraded.push(key)
          calls++
        } catch (error) {
          failures.push(error)
        }
      }
    }
    const loops = instances.flatMap((cache) => keys.map((key) => loop(cache, key)))
    const owner = await cluster.masterOf(moving)
    const target = cluster.nodes.find(
      (node) => node !== owner && cluster.nodes.indexOf(node) < keys.length,
    )!
    const before = calls
    const moreCalls = async (count: number): Promise<void> => {
      const until = calls + count
      while (calls < until) await new Promise((resolve) => setImmediate(resolve))
    }
    // Calls go on while the slot is half-moved: keys still on the owner, then keys on the
    // target while the owner still serves the slot (ASK), then after the move (MOVED).
    await cluster.migrateSlot(moving, target, {
      migrating: () => moreCalls(300),
      moved: () => moreCalls(300),
    })
    const after = calls
    await moreCalls(300)
    running = false
    await Promise.all(loops)

    expect((await cluster.masterOf(moving)).server.port).to.equal(target.server.port)
    expect(after - before, 'calls during the migration').to.be.at.least(600)
    expect(failures).to.deep.equal([])
    expect(degraded, 'calls that failed open').to.deep.equal([])
    for (const key of keys) expect(runs.get(key), key).to.equal(1)
    // The moved entry is whole on its new master: tags and fence came along.
    expect(await instances[0]!.invalidate({ tags: ['moving-test'] })).to.equal(keys.length)
  })
})
