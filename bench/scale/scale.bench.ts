import { createClient } from 'redis'
import { createCache } from '../../src/index.js'
import { printRows } from '../support/measure.js'
import { clusterHitsCurve } from './cluster-hits-rows.js'
import { getManyCurve } from './get-many-rows.js'
import { printExponents, type Curve } from './growth.js'
import { namespaceCurve, tagCurve } from './invalidation-rows.js'
import { memoryCurve } from './memory-rows.js'
import { noticeCurve } from './notice-rows.js'
import { processMemoryCurves } from './process-memory-rows.js'
import { configureSlowlog, type Raw } from './slowlog.js'

/**
 * How herdlock's costs grow with the work, each curve against a baseline measured in the same
 * run and summed up by its growth exponent (growth.ts): namespace invalidation of 10k / 100k /
 * 1M entries (and the longest single Redis command, from SLOWLOG), tag invalidation of 1k /
 * 10k / 100k, getMany of 10 / 100 / 1,000 keys, Redis memory per 1 KB entry, the L1 tier's and
 * the stats' memory after 10k / 100k / 1M keys, and hits on a Redis Cluster against the
 * single server at concurrency 1 / 8 / 64, and the cluster-bus messages a notice costs on
 * clusters of 3 / 6 / 9 masters (shard channels against a classic PUBLISH).
 *
 * BENCH_SCALE_SIZES ("10000,100000,1000000") sets the namespace curve's sizes;
 * BENCH_SCALE_FACTOR (0.1 for a quick run) scales every size curve; BENCH_SCALE_CURVES
 * ("namespace,tags,getMany,memory,heap,cluster,notices") runs only the curves named.
 */
export async function scaleBench(url: string): Promise<Curve[]> {
  const raw: Raw = createClient({ url })
  raw.on('error', () => undefined)
  await raw.connect()
  await configureSlowlog(raw)
  const cache = createCache({ redis: url, prefix: 'bench-scale' })
  const curves: Curve[] = []
  const only = (process.env['BENCH_SCALE_CURVES'] ?? '').split(',').filter((s) => s !== '')
  const runs = (name: string): boolean => only.length === 0 || only.includes(name)
  try {
    if (runs('namespace')) curves.push(await namespaceCurve(raw, cache))
    if (runs('tags')) curves.push(await tagCurve(raw, cache))
    if (runs('getMany')) curves.push(await getManyCurve(cache))
    if (runs('memory')) curves.push(await memoryCurve(raw, cache))
    if (runs('heap')) curves.push(...(await processMemoryCurves(url, raw)))
    if (runs('cluster')) curves.push(await clusterHitsCurve(url))
    if (runs('notices')) curves.push(await noticeCurve())
  } finally {
    await cache.close()
    raw.destroy()
  }
  return curves
}

/** Run the curves, then print their rows and the table of their growth exponents. */
export async function printScaleBench(url: string): Promise<void> {
  const curves = await scaleBench(url)
  printRows(
    'Cost growth',
    curves.flatMap((curve) => curve.rows),
  )
  printExponents(curves)
}
