import { cpus, loadavg } from 'node:os'
import { fnHitBench } from './fn/hit.bench.js'
import { fnL1Bench } from './fn/l1.bench.js'
import { stampedeBench } from './stampede/stampede.bench.js'
import { statsBench } from './direct/stats.bench.js'
import { storeBench } from './direct/get.bench.js'
import { printScaleBench } from './scale/scale.bench.js'
import { printRows } from './support/measure.js'
import { benchRedis } from './support/redis.js'

/**
 * `npm run bench`: every scenario, each against a baseline measured in the same run, printed
 * as ratios (Markdown tables, ready for BENCHMARKS.md). Names given as arguments run only those
 * parts: `npm run bench -- fn-hit http` (store, fn-hit, fn-l1, stats, stampede, http, scale,
 * http-mode). `scale` (cost growth up to 1M entries, minutes long) and `http-mode` (cacheRoute's
 * shared mode against its default mode on the hit path, in one process) run only when named.
 */
const PARTS = [
  'store',
  'fn-hit',
  'fn-l1',
  'stats',
  'stampede',
  'http',
  'scale',
  'http-mode',
] as const
const ONLY_WHEN_NAMED: readonly string[] = ['scale', 'http-mode']
const asked = process.argv.slice(2)
const unknown = asked.filter((name) => !(PARTS as readonly string[]).includes(name))
if (unknown.length > 0)
  throw new Error(`bench: unknown part ${unknown.join(', ')}; parts: ${PARTS.join(', ')}`)
const runs = (part: (typeof PARTS)[number]): boolean =>
  asked.includes(part) || (asked.length === 0 && !ONLY_WHEN_NAMED.includes(part))
const redis = await benchRedis()
console.log(`# herdlock benchmarks\n`)
console.log(
  `Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Redis at ${redis.url}`,
)
const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')
console.log(`Load average at start: ${load()} (other work on the machine skews every figure)`)
try {
  if (runs('store')) printRows('Direct get / getMany', await storeBench(redis.url))
  if (runs('fn-hit')) printRows('cacheFn: hits from Redis (L1 off)', await fnHitBench(redis.url))
  if (runs('fn-l1')) printRows('cacheFn: hits from L1', await fnL1Bench(redis.url))
  if (runs('stats')) printRows('Stats: cost on the hot path', await statsBench(redis.url))
  if (runs('stampede')) {
    const stampede = await stampedeBench(redis.url)
    printRows('cacheFn: stampede across processes', stampede.rows)
    console.log(`\nPer key (latencies from the parent's go, over all callers):\n`)
    for (const note of stampede.notes) console.log(note)
  }
  if (runs('scale')) await printScaleBench(redis.url)
  if (runs('http')) await (await import('./http/http.bench.js')).printHttpBench(redis.url)
  if (runs('http-mode')) {
    const { modeAbBench, printModeAb } = await import('./http/mode-ab.js')
    const options = { rounds: 40, hits: 4_000, concurrency: 8 }
    printModeAb(await modeAbBench(redis.url, options), options)
  }
  console.log(`\nLoad average at end: ${load()}`)
} finally {
  await redis.stop()
}
