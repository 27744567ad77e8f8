import { expect } from 'chai'
import { setTimeout as delay } from 'node:timers/promises'
import { createClient } from 'redis'
import type { Cache } from '../../src/index.js'
import { record } from '../support/events.js'
import type { ClusterNode, LocalCluster } from '../support/local-cluster.js'
import { ClusterInstances, heldByB, otherMaster, startFailoverCluster } from './instances.js'

/**
 * Review of sharded notices: the gaps a cluster change can open between A's notice and B's shard
 * subscription. For each, once A's `invalidate()` resolved, B must not serve its L1 copy, not
 * even after longer than the subscriber's 1 s watch interval: it heard the notice, or it
 * reported lost notices (its L1 tier is suspended).
 */
describe('Redis Cluster: shard notice gaps', function () {
  this.timeout(120_000)
  let cluster: LocalCluster
  const opened = new ClusterInstances()

  beforeEach(async () => {
    cluster = await startFailoverCluster()
  })
  afterEach(async () => {
    await opened.close()
    await cluster.stop()
  })

  /**
   * What B serves for `key` 200 ms after A's invalidate() resolved (a notice is delivered
   * asynchronously) and 2.5 s later (past the watch interval).
   */
  async function servedByB(b: Cache, key: string): Promise<string[]> {
    await delay(200)
    const now = await b.cacheFn(key, () => 'new', { ttl: '10m' })
    await delay(2_300)
    return [now, await b.cacheFn(key, () => 'new', { ttl: '10m' })]
  }

  it('a key moved to the importing master while its slot still migrates: B reports lost notices', async () => {
    const [a, b] = await opened.openPair(cluster, 'gap')
    const key = 'moved-phase'
    await heldByB(a, b, key, 'old')
    const owner = await cluster.masterOf(`{default:${key}}`)
    const target = await otherMaster(cluster, owner)
    let served: string[] = []
    await cluster.migrateSlot(`{default:${key}}`, target, {
      moved: async () => {
        await a.invalidate({ key })
        served = await servedByB(b, key)
      },
    })
    // A's notice went out on the importing master, where nobody listens, while B's subscription
    // at the owner stays confirmed until the slot is handed over. B may serve its copy until it
    // sees the migration (within the watch interval), not for as long as the migration lasts.
    expect(served[1], `served ${served.join(', ')}`).to.equal('new')
  })

  it('a slot handed over by gossip alone (SETSLOT on the target only): B reports it or hears it', async () => {
    const [a, b] = await opened.openPair(cluster, 'gap')
    const key = 'gossip'
    await heldByB(a, b, key, 'old')
    const owner = await cluster.masterOf(`{default:${key}}`)
    const target = await otherMaster(cluster, owner)
    const slot = await run(owner, ['CLUSTER', 'KEYSLOT', `{default:${key}}`])
    await run(target, ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', owner.id])
    await run(owner, ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id])
    await run(owner, [
      'MIGRATE',
      '127.0.0.1',
      String(target.server.port),
      '',
      '0',
      '5000',
      'KEYS',
      ...(JSON.parse(await run(owner, ['CLUSTER', 'GETKEYSINSLOT', slot, '100'])) as string[]),
    ])
    await run(target, ['CLUSTER', 'SETSLOT', slot, 'NODE', target.id])
    await cluster.waitHealthy()
    await a.invalidate({ key })
    expect(await servedByB(b, key)).to.deep.equal(['new', 'new'])
  })

  it('a manual failover (CLUSTER FAILOVER on the replica): B hears the new master or reports it', async () => {
    const [a, b] = await opened.openPair(cluster, 'gap')
    const key = 'manual'
    await heldByB(a, b, key, 'old')
    const master = await cluster.masterOf(`{default:${key}}`)
    const replica = await replicaOf(cluster, master)
    const evictions = record(b, 'l1:evict')
    await run(replica, ['CLUSTER', 'FAILOVER'])
    await cluster.waitHealthy()
    expect((await cluster.masterOf(`{default:${key}}`)).id).to.equal(replica.id)
    await a.invalidate({ key })
    expect(await servedByB(b, key), JSON.stringify(evictions)).to.deep.equal(['new', 'new'])
  })

  it('a master restarted fast on its address (no failover): B reports it', async () => {
    const [a, b] = await opened.openPair(cluster, 'gap')
    const key = 'restart'
    await heldByB(a, b, key, 'old')
    const master = await cluster.masterOf(`{default:${key}}`)
    const evictions = record(b, 'l1:evict')
    await master.server.restart()
    await cluster.waitHealthy()
    expect((await cluster.masterOf(`{default:${key}}`)).id).to.equal(master.id)
    await heldByB(a, b, key, 'again')
    await a.invalidate({ key })
    expect(await servedByB(b, key), JSON.stringify(evictions)).to.deep.equal(['new', 'new'])
  })
})

async function run(node: ClusterNode, args: string[]): Promise<string> {
  const client = createClient({ url: node.server.url, socket: { reconnectStrategy: false } })
  client.on('error', () => undefined)
  await client.connect()
  try {
    const reply: unknown = await client.sendCommand(args)
    return typeof reply === 'string' || typeof reply === 'number'
      ? String(reply)
      : JSON.stringify(reply)
  } finally {
    client.destroy()
  }
}

async function replicaOf(cluster: LocalCluster, master: ClusterNode): Promise<ClusterNode> {
  const lines = (await run(master, ['CLUSTER', 'NODES'])).trim().split('\n')
  const line = lines.find((l) => l.split(' ')[3] === master.id)
  const id = line?.split(' ')[0]
  const replica = cluster.nodes.find((node) => node.id === id)
  if (replica === undefined) throw new Error('no replica')
  return replica
}
