import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { parseArgs } from 'node:util'
import type { CacheRouteOptions } from '../../src/index.js'
import { killAllLocal, LocalRedis } from '../../test/support/local-redis.js'
import { checkTable, failureList, groupTable } from './report.js'
import { MODES, runConformance, type Mode } from './runner.js'
import { publishedSharedCaches, SUITES, suiteVersion } from './suite.js'

/**
 * `npm run conformance [-- options]`: run the cache-tests suite (http-cache-tests) against an
 * Express 5 reverse proxy whose route is cacheRoute over a redis-server of its own, and print
 * the pass rate per group beside the published results of the shared caches.
 *
 *   --mode default|shared|shared-rfc   route options (default: shared, MODES in runner.ts)
 *   --options '<json>'      extra cacheRoute options, merged over the mode's
 *   --group <id,...>        only these groups (suite ids, e.g. vary,auth)
 *   --id <id,...>           only these tests
 *   --dump <id,...>         print the requests and responses of these tests
 *   --concurrency <n>       tests in flight (default 25; the suite's CLI runs chunks of 100)
 *   --json <file>           also write the raw results there
 *   --failures              list every counted test that did not pass
 *   --checks                list the "check" tests that ran (not counted), answers beside peers'
 */

const USAGE =
  'usage: npm run conformance -- [--mode default|shared|shared-rfc] [--options JSON] ...'

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').filter((item) => item !== '')
}

function parse() {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'shared' },
      options: { type: 'string' },
      group: { type: 'string' },
      id: { type: 'string' },
      dump: { type: 'string' },
      concurrency: { type: 'string', default: '25' },
      json: { type: 'string' },
      failures: { type: 'boolean', default: false },
      checks: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  if (!(values.mode in MODES)) throw new Error(`unknown --mode ${values.mode}\n${USAGE}`)
  const mode = values.mode as Mode
  const extra = values.options === undefined ? {} : (JSON.parse(values.options) as object)
  const routeOptions: CacheRouteOptions = { ...MODES[mode], ...extra }
  const groups = list(values.group)
  const ids =
    list(values.id) ??
    (groups === undefined
      ? undefined
      : SUITES.filter((suite) => groups.includes(suite.id)).flatMap((suite) =>
          suite.tests.map((test) => test.id),
        ))
  return { mode, routeOptions, ids, values }
}

async function main(): Promise<void> {
  const { mode, routeOptions, ids, values } = parse()
  const redis = await LocalRedis.start()
  try {
    console.log(`# cache-tests ${suiteVersion()} against herdlock cacheRoute (mode ${mode})`)
    console.log(`route options: ${JSON.stringify(routeOptions)}`)
    console.log(
      `redis-server ${redis.url} (pid ${redis.pid}); node ${process.version}; ` +
        `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}\n`,
    )
    const run = await runConformance({
      redisUrl: redis.url,
      routeOptions,
      concurrency: Number(values.concurrency),
      ...(ids === undefined ? {} : { ids }),
      ...(values.dump === undefined ? {} : { dump: list(values.dump)! }),
    })
    if (values.json !== undefined) {
      writeFileSync(values.json, JSON.stringify({ mode, routeOptions, ...run }, null, 2))
    }
    const published = publishedSharedCaches()
    console.log(groupTable(`herdlock (${mode})`, run.results, published))
    console.log(
      `\n${Object.keys(run.results).length} tests run in ` +
        `${(run.durationMs / 1000).toFixed(1)} s; cache infrastructure errors: ${run.cacheErrors.length}`,
    )
    for (const error of new Set(run.cacheErrors)) console.log(`  ${error}`)
    if (run.cacheErrors.length > 0) {
      console.log('  (the cache failed open on these calls: results may differ from a quiet run)')
    }
    console.log(`proxy response errors: ${run.proxyErrors.length}`)
    for (const error of run.proxyErrors) console.log(`  ${error}`)
    if (values.failures) console.log(`\n${failureList(run.results, published)}`)
    if (values.checks) console.log(`\n${checkTable(run.results, published)}`)
  } finally {
    await redis.stop()
  }
}

// Whatever ends the run, the redis-server it started goes with it (by PID).
process.once('exit', killAllLocal)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllLocal()
    process.exit(130)
  })
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
