import { expect } from 'chai'
import { createClient } from 'redis'
import type { Cache } from '../../src/index.js'
import { keySlot } from '../../src/store/redis-slot.js'
import { nextEvent } from '../support/events.js'
import type { ClusterNode, LocalCluster } from '../support/local-cluster.js'
import { ClusterInstances, heldByB, otherMaster, useFailoverCluster } from './instances.js'

/**
 * Notices on shard channels (issue 14): on a Redis 7 cluster every notice is published with
 * SPUBLISH on a channel of its key's slot, so it costs that shard only (a classic PUBLISH is
 * forwarded to every node of the cluster), and each instance's subscriber follows its slots
 * through a migration and a failover, treating the gap as lost notices.
 */
describe('Redis Cluster: notices on shard channels', function () {
  this.timeout(120_000)
  const opened = new ClusterInstances()
  const started = useFailoverCluster(opened)
  let cluster: LocalCluster
  before(() => {
    cluster = started()
  })

  /** The next remote L1 eviction of `count` entries at `cache`. */
  const remoteEviction = (cache: Cache): Promise<unknown> =>
    nextEvent(cache, 'l1:evict', (e) => e.reason === 'remote' && e.count === 1, 10_000)

  it('publishes each notice on its shard only: no node forwards a classic PUBLISH', async () => {
    const [a, b] = await opened.openPair(cluster, 'shard')
    const keys = await cluster.keysOnEveryMaster(
      (i) => `spread-${i}`,
      (key) => `{default:${key}}`,
    )
    for (const key of keys) await heldByB(a, b, key, `v-${key}`)
    const before = await busStats(cluster.nodes)
    for (const key of keys) {
      const evicted = remoteEviction(b)
      await a.invalidate({ key })
      await evicted
    }
    const after = await busStats(cluster.nodes)
    const sent = after.map((stats, i) => ({
      classic: stats.classic - before[i]!.classic,
      shard: stats.shard - before[i]!.shard,
    }))
    expect(sent.map((s) => s.classic)).to.deep.equal([0, 0, 0, 0, 0, 0], 'no classic PUBLISH')
    // Each master forwards its own notices to its one replica, and nothing else does.
    const masters = await Promise.all(keys.map((key) => cluster.masterOf(`{default:${key}}`)))
    for (const [i, node] of cluster.nodes.entries()) {
      const expected = masters.includes(node) ? 1 : 0
      expect(sent[i]!.shard, `node ${node.server.port}`).to.equal(expected)
    }
  })

  it('follows a slot migration: nothing B held is served after A invalidates it on the new master', async () => {
    const [a, b] = await opened.openPair(cluster, 'shard')
    const key = 'moving'
    const sibling = sameSlotKey(`{default:${key}}`, (i) => `sibling-${i}`)
    await heldByB(a, b, key, 'old')
    await heldByB(a, b, sibling, 'old-sibling')
    const owner = await cluster.masterOf(`{default:${key}}`)
    const target = await otherMaster(cluster, owner)
    const resubscribed = nextEvent(b, 'l1:evict', (e) => e.reason === 'resubscribed', 20_000)
    await cluster.migrateSlot(`{default:${key}}`, target)
    // Published on the new master, whose shard channel B may not hear yet: B must not serve
    // its L1 copy either way (it heard the notice, or it knows it could have missed one).
    await a.invalidate({ key })
    expect(await b.cacheFn(key, () => 'new', { ttl: '10m' })).to.equal('new')
    await resubscribed
    // Subscribed at the new master again: its notices reach B.
    await heldByB(a, b, sibling, 'old-sibling')
    const evicted = remoteEviction(b)
    await a.invalidate({ key: sibling })
    await evicted
    expect(await b.cacheFn(sibling, () => 'new-sibling', { ttl: '10m' })).to.equal('new-sibling')
  })

  it('reports a killed subscriber connection as lost notices, and subscribes again', async () => {
    const [a, b] = await opened.openPair(cluster, 'shard')
    const key = 'killed'
    await heldByB(a, b, key, 'held')
    const master = await cluster.masterOf(`{default:${key}}`)
    const lost = nextEvent(b, 'l1:evict', (e) => e.reason === 'unsubscribed', 10_000)
    const back = nextEvent(b, 'l1:evict', (e) => e.reason === 'resubscribed', 10_000)
    await killPubSubClients(master)
    // B's L1 copy is dropped as the connection goes (a notice may have been missed) ...
    expect((await lost).count).to.be.at.least(1)
    await back
    // ... and the notices of that master reach it again on its new connection.
    await heldByB(a, b, key, 'held')
    const evicted = remoteEviction(b)
    await a.invalidate({ key })
    await evicted
  })

  it('follows a failover: once the replica is promoted, B hears the new master', async () => {
    const [a, b] = await opened.openPair(cluster, 'shard')
    const key = 'failing'
    const victim = await cluster.masterOf(`{default:${key}}`)
    await heldByB(a, b, key, 'before')
    const lost = nextEvent(b, 'l1:evict', (e) => e.reason === 'unsubscribed', 20_000)
    await victim.server.stop()
    await lost
    await nextEvent(b, 'l1:evict', (e) => e.reason === 'resubscribed', 30_000)
    expect((await cluster.masterOf(`{default:${key}}`)).server.port).to.not.equal(
      victim.server.port,
    )
    // The value was replicated before the kill: the promoted replica still has it.
    await heldByB(a, b, key, 'before')
    const evicted = remoteEviction(b)
    await a.invalidate({ key })
    await evicted
    expect((await b.health()).subscriber.up).to.equal(true)
  })
})

/** Classic and shard pub/sub messages each node has sent on the cluster bus so far. */
async function busStats(
  nodes: readonly ClusterNode[],
): Promise<{ classic: number; shard: number }[]> {
  return Promise.all(
    nodes.map(async (node) => {
      const client = createClient({ url: node.server.url })
      await client.connect()
      try {
        const info = await client.sendCommand<string>(['CLUSTER', 'INFO'])
        const count = (name: string): number =>
          Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? '0')
        return {
          classic: count('cluster_stats_messages_publish_sent'),
          shard: count('cluster_stats_messages_publishshard_sent'),
        }
      } finally {
        await client.close()
      }
    }),
  )
}

/** Close every pub/sub connection of `node` (as a proxy or the server dropping them would). */
async function killPubSubClients(node: ClusterNode): Promise<void> {
  const client = createClient({ url: node.server.url })
  await client.connect()
  try {
    await client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub'])
  } finally {
    await client.close()
  }
}

/** A cache key whose Redis hash tag falls in the same slot as `redisKey`. */
function sameSlotKey(redisKey: string, name: (i: number) => string): string {
  const slot = keySlot(redisKey)
  for (let i = 0; ; i++) if (keySlot(`{default:${name(i)}}`) === slot) return name(i)
}
