import express from 'express'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createCache, type Cache } from '../../src/index.js'
import { cacheRoute, type RouteMode } from '../../middleware/index.js'
import { inject, type NodeHandler } from '../support/inject.js'
import { kilobyteValue, percentile } from '../support/measure.js'

/**
 * Shared mode against the default mode on the hit path, in one process: the same Express 5 app
 * (one ~1 KB JSON route behind `cacheRoute`) built once per mode and per tier (Redis hit with L1
 * off; L1 hit), every request injected without a socket (bench/support/inject.ts), so a figure
 * is the CPU this process spends per hit: Express, the middleware, the store client, the reply's
 * serialization. Rounds interleave the two modes of a tier (A B, then B A) so the machine's
 * drift falls on both alike; the verdict is the median over rounds of shared's CPU per hit
 * divided by default's. Every reply is checked to be a hit, and the handler never runs again.
 */

setFlagsFromString('--expose-gc')
/** V8's full collection, exposed for this module whatever flags Node was started with. */
const collectGarbage = runInNewContext('gc') as () => void

/** One app under test. */
interface Side {
  readonly mode: RouteMode
  readonly cache: Cache
  readonly app: NodeHandler
  runs: number
}

/** One tier's result. */
export interface ModeAbRow {
  readonly tier: string
  /** Median over rounds of CPU µs per hit. */
  readonly defaultUs: number
  readonly sharedUs: number
  /** Median of the per-round shared/default CPU ratios. */
  readonly ratio: number
  /** A 95% confidence interval of that median (order statistics of the rounds' ratios). */
  readonly low: number
  readonly high: number
}

export interface ModeAbOptions {
  readonly rounds: number
  /** Hits per side per round. */
  readonly hits: number
  /** Requests in flight at once. */
  readonly concurrency: number
}

async function openSide(url: string, mode: RouteMode, l1: boolean): Promise<Side> {
  const cache = createCache({
    redis: url,
    prefix: `bench-ab-${mode}-${l1 ? 'l1' : 'redis'}`,
    ...(l1 ? { l1: {} } : {}),
  })
  await cache.ready()
  const app = express()
  const side: Side = { mode, cache, app, runs: 0 }
  app.get('/hit', cacheRoute(cache, { ttl: '1h', namespace: 'ab', mode }), (_req, res) => {
    side.runs++
    // The same stored headers in both modes: a lifetime only herdlock reads (and strips).
    if (mode === 'shared') res.set('Herdlock-Cache-Control', 'max-age=3600')
    res.json(kilobyteValue())
  })
  return side
}

/** CPU µs per hit of `hits` hits, `concurrency` at a time; throws on anything but a hit. */
async function cpuPerHit(side: Side, options: ModeAbOptions): Promise<number> {
  let next = 0
  const before = side.runs
  // Garbage of the other side's batch is collected before this one, not during it.
  collectGarbage()
  const start = process.cpuUsage()
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next++ < options.hits) {
        const reply = await inject(side.app, '/hit')
        if (reply.status !== 200 || reply.headers['x-cache'] !== 'HIT') {
          throw new Error(
            `bench: ${side.mode} answered ${reply.status} ${String(reply.headers['x-cache'])}`,
          )
        }
      }
    }),
  )
  const used = process.cpuUsage(start)
  if (side.runs !== before) throw new Error(`bench: the ${side.mode} handler ran on a hit`)
  return (used.user + used.system) / options.hits
}

async function tier(name: string, pair: readonly [Side, Side], options: ModeAbOptions) {
  for (const side of pair) {
    await inject(side.app, '/hit') // the miss that stores the response
    await cpuPerHit(side, { ...options, hits: options.hits / 4 }) // warm up the JIT
  }
  const [base, shared] = pair
  const samples = { base: [] as number[], shared: [] as number[], ratios: [] as number[] }
  for (let r = 0; r < options.rounds; r++) {
    const order = r % 2 === 0 ? [base, shared] : [shared, base]
    const cpu = new Map<Side, number>()
    for (const side of order) cpu.set(side, await cpuPerHit(side, options))
    samples.base.push(cpu.get(base)!)
    samples.shared.push(cpu.get(shared)!)
    samples.ratios.push(cpu.get(shared)! / cpu.get(base)!)
  }
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
  const ratios = sorted(samples.ratios)
  return {
    tier: name,
    defaultUs: percentile(sorted(samples.base), 0.5),
    sharedUs: percentile(sorted(samples.shared), 0.5),
    ratio: percentile(ratios, 0.5),
    ...medianInterval(ratios),
  }
}

/**
 * The distribution-free 95% interval of a median: the order statistics at n/2 ± 1.96·√n/2
 * (the normal approximation of the binomial), from sorted samples.
 */
export function medianInterval(sorted: readonly number[]): { low: number; high: number } {
  const n = sorted.length
  const half = (1.96 * Math.sqrt(n)) / 2
  const low = Math.max(0, Math.floor(n / 2 - half) - 1)
  const high = Math.min(n - 1, Math.ceil(n / 2 + half) - 1)
  return { low: sorted[low] ?? Number.NaN, high: sorted[high] ?? Number.NaN }
}

/** Both tiers, each pair interleaved over `rounds` rounds. */
export async function modeAbBench(url: string, options: ModeAbOptions): Promise<ModeAbRow[]> {
  const rows: ModeAbRow[] = []
  for (const [name, l1] of [
    ['Redis hit (L1 off)', false],
    ['L1 hit', true],
  ] as const) {
    const pair = [await openSide(url, 'default', l1), await openSide(url, 'shared', l1)] as const
    try {
      rows.push(await tier(name, pair, options))
    } finally {
      for (const side of pair) await side.cache.close()
    }
  }
  return rows
}

/** The rows as a Markdown table, with the 5% target. */
export function printModeAb(rows: readonly ModeAbRow[], options: ModeAbOptions): void {
  console.log(`\n## cacheRoute hit path: mode 'shared' vs default, in one process\n`)
  console.log(
    `${options.rounds} interleaved rounds × ${options.hits} hits per side, ${options.concurrency} in flight; CPU µs per hit (medians over rounds)\n`,
  )
  console.log(
    '| tier | default µs | shared µs | shared/default (median of rounds) | 95% interval | target |',
  )
  console.log('|---|--:|--:|--:|--:|---|')
  for (const r of rows) {
    // Met when the whole interval is at most 1.05x; failed when all of it is above.
    const ok = r.high <= 1.05 ? '✔' : r.low > 1.05 ? '✘' : '? (interval spans 1.05x)'
    console.log(
      `| ${r.tier} | ${r.defaultUs.toFixed(1)} | ${r.sharedUs.toFixed(1)} | ${r.ratio.toFixed(3)}x | ${r.low.toFixed(3)}–${r.high.toFixed(3)} | ≤ 1.05x ${ok} |`,
    )
  }
}
