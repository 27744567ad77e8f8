import { cpus, loadavg } from 'node:os'
import { fnHitBench } from './fn-hit.bench.js'
import { fnL1Bench } from './fn-l1.bench.js'
import { stampedeBench } from './stampede.bench.js'
import { statsBench } from './stats.bench.js'
import { storeBench } from './store.bench.js'
import { benchRedis, printRows } from './support.js'

/**
 * `npm run bench`: every scenario, each against a baseline measured in the same run, printed
 * as ratios (Markdown tables, ready for BENCHMARKS.md).
 */
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
  printRows('Store: direct get / getMany (issue 2)', await storeBench(redis.url))
  printRows('cacheFn: hits from Redis (L1 off)', await fnHitBench(redis.url))
  printRows('cacheFn: hits from L1', await fnL1Bench(redis.url))
  printRows('Stats: cost on the hot path (issue 5)', await statsBench(redis.url))
  const stampede = await stampedeBench(redis.url)
  printRows('cacheFn: stampede across processes', stampede.rows)
  console.log(`\nPer key (latencies from the parent's go, over all callers):\n`)
  for (const note of stampede.notes) console.log(note)
  await (await import('./http.bench.js')).printHttpBench(redis.url) // cacheRoute over HTTP
  console.log(`\nLoad average at end: ${load()}`)
} finally {
  await redis.stop()
}
