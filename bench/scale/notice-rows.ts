import { createClient, createCluster } from 'redis'
import { createCache, type Cache } from '../../src/index.js'
import { LocalCluster } from '../../test/support/local-cluster.js'
import { killAllLocal } from '../../test/support/local-redis.js'
import { ratioRow } from '../support/measure.js'
import type { Curve } from './growth.js'

/**
 * What a notice costs a Redis Cluster as it grows: cluster-bus messages sent per notice, on
 * clusters of 3, 6 and 9 masters (one replica each). Ours: `invalidate({ key })` on keys of
 * every master, each announced on its slot's shard channel (SPUBLISH, relayed to that master's
 * replicas only). Baseline: the same notices as a classic PUBLISH on one channel (what herdlock
 * sent before, and still sends before Redis 7), which every node relays to every other one. Also
 * printed: what an instance's shard subscriptions cost (16,384 channels): Redis memory, and the
 * time to subscribe them.
 */

const NOTICES = 300

/** Cluster-bus pub/sub messages every node has sent so far, summed. */
async function busMessages(cluster: LocalCluster): Promise<number> {
  let total = 0
  for (const node of cluster.nodes) {
    const client = createClient({ url: node.server.url })
    await client.connect()
    const info = await client.sendCommand<string>(['CLUSTER', 'INFO'])
    await client.close()
    for (const name of ['publish_sent', 'publishshard_sent']) {
      total += Number(new RegExp(`cluster_stats_messages_${name}:(\\d+)`).exec(info)?.[1] ?? 0)
    }
  }
  return total
}

async function usedMemory(cluster: LocalCluster): Promise<number> {
  let total = 0
  for (const node of cluster.nodes) {
    const client = createClient({ url: node.server.url })
    await client.connect()
    const info = await client.info('memory')
    await client.close()
    total += Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0)
  }
  return total
}

interface Measured {
  readonly ours: number
  readonly baseline: number
  readonly subscribeMs: number
  readonly subscriptionBytes: number
}

async function measure(masters: number): Promise<Measured> {
  const cluster = await LocalCluster.start({ masters, replicas: 1 })
  const client = createCluster({ rootNodes: cluster.rootNodes })
  client.on('error', () => undefined)
  await client.connect()
  let cache: Cache | undefined
  try {
    const before = await usedMemory(cluster)
    const started = performance.now()
    cache = createCache({ redis: client, prefix: 'bench-notices' })
    await cache.ready()
    const subscribeMs = performance.now() - started
    const subscriptionBytes = (await usedMemory(cluster)) - before
    let sent = await busMessages(cluster)
    for (let i = 0; i < NOTICES; i++) await cache.invalidate({ key: `n${i}` })
    const ours = ((await busMessages(cluster)) - sent) / NOTICES
    sent = await busMessages(cluster)
    for (let i = 0; i < NOTICES; i++) await client.publish('bench-notices:bus', `n${i}`)
    const baseline = ((await busMessages(cluster)) - sent) / NOTICES
    return { ours, baseline, subscribeMs, subscriptionBytes }
  } finally {
    await cache?.close()
    client.destroy()
    await cluster.stop()
  }
}

export async function noticeCurve(): Promise<Curve> {
  process.once('exit', killAllLocal)
  const curve: Curve = {
    name: 'notices: cluster-bus messages per notice',
    unit: 'masters',
    ...{ ours: [], baseline: [], rows: [] },
    baselineName: 'classic PUBLISH',
  }
  for (const masters of [3, 6, 9]) {
    const m = await measure(masters)
    curve.ours.push({ size: masters, value: m.ours })
    curve.baseline.push({ size: masters, value: m.baseline })
    const scenario = `a notice on a ${masters}-master cluster (1 replica each)`
    curve.rows.push(ratioRow(scenario, 'bus messages', m.ours, m.baseline, curve.baselineName))
    const kib = Math.round(m.subscriptionBytes / 1024)
    console.log(
      `${masters} masters: one instance's 16,384 shard subscriptions: ${kib} KiB of Redis memory, subscribed in ${Math.round(m.subscribeMs)} ms`,
    )
  }
  return curve
}
