import { cpus } from 'node:os'
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
try {
  printRows('Store: direct get / getMany (issue 2)', await storeBench(redis.url))
} finally {
  await redis.stop()
}
