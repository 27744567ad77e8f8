import { cpus, loadavg } from 'node:os'
import { printHttpBench } from './http.bench.js'
import { benchRedis } from '../support/redis.js'

/**
 * Only the HTTP benchmarks of the route cache (they also run in `npm run bench`):
 * `npx tsx bench/http/run.ts`, or compiled with plain node (see bench/support/child.ts).
 */
const redis = await benchRedis()
const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')
console.log(`# herdlock HTTP benchmarks\n`)
console.log(
  `Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Redis at ${redis.url}`,
)
console.log(`Load average at start: ${load()} (other work on the machine skews every figure)`)
try {
  await printHttpBench(redis.url)
  console.log(`\nLoad average at end: ${load()}`)
} finally {
  await redis.stop()
}
