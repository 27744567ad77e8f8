import { EventEmitter } from 'node:events'
import { createCache, type Cache } from '../../src/index.js'
import {
  interleave,
  kilobyteValue,
  latency,
  ratioRow,
  summarize,
  throughput,
  type BenchRow,
} from '../support/measure.js'

/**
 * Issue 5 figures: what counting costs on the hot path. The same `get` hit of a ~1 KB value,
 * from Redis and from L1, by a cache with stats on (the default) against one created with
 * `stats: false`, interleaved in the same run; plus the cost of one counted event.
 */
export async function statsBench(url: string): Promise<BenchRow[]> {
  const on = createCache({ redis: url, prefix: 'bench-stats' })
  const off = createCache({ redis: url, prefix: 'bench-stats', stats: false })
  const l1On = createCache({ redis: url, prefix: 'bench-stats', l1: {} })
  const l1Off = createCache({ redis: url, prefix: 'bench-stats', l1: {}, stats: false })
  const all = [on, off, l1On, l1Off]
  try {
    await Promise.all(all.map((cache) => cache.ready()))
    await on.set('hit', kilobyteValue(), { ttl: '1h' })
    for (const cache of all) await assertHit(cache)
    const rows = [
      ...(await compare('get hit from Redis (1 KB)', on, off, 20, 2_000)),
      ...(await compare('get hit from L1 (1 KB)', l1On, l1Off, 20, 20_000, false)),
      await eventCost(),
    ]
    if (on.stats().hits === 0 || off.stats().hits !== 0) throw new Error('bench: stats not wired')
    return rows
  } finally {
    await Promise.all(all.map((cache) => cache.close()))
  }
}

async function assertHit(cache: Cache): Promise<void> {
  if ((await cache.get('hit')) === undefined) throw new Error('bench setup: cache miss')
}

async function compare(
  scenario: string,
  on: Cache,
  off: Cache,
  rounds: number,
  iterations: number,
  withTarget = true,
): Promise<BenchRow[]> {
  const getOn = (): Promise<unknown> => on.get('hit')
  const getOff = (): Promise<unknown> => off.get('hit')
  await latency(getOn, iterations)
  await latency(getOff, iterations)
  const [onLat, offLat] = await interleave(
    rounds,
    () => latency(getOn, iterations),
    () => latency(getOff, iterations),
  )
  const [onOps, offOps] = await interleave(
    4,
    async () => [await throughput(getOn, 64, 20 * iterations)],
    async () => [await throughput(getOff, 64, 20 * iterations)],
  )
  const median = row(scenario, 'median µs', summarize(onLat).median, summarize(offLat).median)
  const ops = row(
    `${scenario}, concurrency 64`,
    'ops/s',
    summarize(onOps).median,
    summarize(offOps).median,
  )
  if (withTarget) {
    median.target = '≤ 1.05x'
    median.pass = median.ratio <= 1.05
    ops.target = '≥ 0.95x'
    ops.pass = ops.ratio >= 0.95
  }
  return [median, row(scenario, 'p99 µs', summarize(onLat).p99, summarize(offLat).p99), ops]
}

/** ns per `cache:hit` event: an emitter with the stats listener against one with none. */
async function eventCost(): Promise<BenchRow> {
  const counted = new EventEmitter()
  const bare = new EventEmitter()
  const cache = createCache({ emitter: counted })
  const payload = { namespace: 'bench', tier: 'store' as const, durationMs: 0.2 }
  const time = (emitter: EventEmitter): number => {
    const n = 1_000_000
    const started = process.hrtime.bigint()
    for (let i = 0; i < n; i++) emitter.emit('cache:hit', payload)
    return Number(process.hrtime.bigint() - started) / n
  }
  time(counted)
  time(bare)
  const [withStats, without] = [time(counted), time(bare)]
  await cache.close()
  return row('one cache:hit event', 'ns / event', withStats, without, 'no listener')
}

/** A row against the same cache with stats off, unless another baseline is named. */
function row(
  scenario: string,
  metric: string,
  ours: number,
  baseline: number,
  baselineName = 'same cache, stats: false',
): BenchRow {
  return ratioRow(scenario, metric, ours, baseline, baselineName)
}
