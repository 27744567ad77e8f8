import { createCluster } from 'redis'
import { createCache, type Cache, type CacheOptions } from '../../src/index.js'
import { LocalCluster } from '../../test/support/local-cluster.js'
import { killAllLocal } from '../../test/support/local-redis.js'
import { kilobyteValue, ratioRow, throughput } from '../support/measure.js'
import type { Curve } from './growth.js'

/**
 * Hits (get() of ~1 KB values from Redis, L1 off) at concurrency 1, 8 and 64: a local Redis
 * Cluster (3 masters, 3 replicas, the test harness's) against the single server, both on this
 * machine. Keys spread over every master; throughput is the best of 3 alternating rounds.
 */

const KEYS = 1_000
const OPS = 20_000
const ROUNDS = 3

async function filled(options: CacheOptions): Promise<Cache> {
  const cache = createCache({ ...options, prefix: 'bench-scale-hits', l1: false })
  const entries = Array.from({ length: KEYS }, (_, i) => ({
    key: `h${i}`,
    value: kilobyteValue(i),
  }))
  for (let start = 0; start < KEYS; start += 100) {
    await cache.setMany(entries.slice(start, start + 100), { ttl: '1h' })
  }
  return cache
}

async function hitsPerSecond(cache: Cache, concurrency: number): Promise<number> {
  return throughput(
    async (i) => {
      if ((await cache.get(`h${i % KEYS}`)) === undefined) throw new Error('bench: a hit missed')
    },
    concurrency,
    OPS,
  )
}

export async function clusterHitsCurve(url: string): Promise<Curve> {
  process.once('exit', killAllLocal)
  const servers = await LocalCluster.start()
  const client = createCluster({ rootNodes: servers.rootNodes })
  client.on('error', () => undefined)
  await client.connect()
  const onCluster = await filled({ redis: client })
  const single = await filled({ redis: url })
  const curve: Curve = {
    name: 'hits: cluster vs single server',
    unit: 'callers',
    ...{ ours: [], baseline: [], rows: [] },
    baselineName: 'single server',
  }
  try {
    for (const concurrency of [1, 8, 64]) {
      let [ours, theirs] = [0, 0]
      for (let round = 0; round < ROUNDS; round++) {
        ours = Math.max(ours, await hitsPerSecond(onCluster, concurrency))
        theirs = Math.max(theirs, await hitsPerSecond(single, concurrency))
      }
      curve.ours.push({ size: concurrency, value: ours })
      curve.baseline.push({ size: concurrency, value: theirs })
      const scenario = `hits on a 3-master cluster, concurrency ${concurrency}`
      curve.rows.push(ratioRow(scenario, 'ops/s', ours, theirs, curve.baselineName))
    }
    return curve
  } finally {
    await Promise.all([onCluster.close(), single.close()])
    client.destroy()
    await servers.stop()
  }
}
