import type { CacheTest, RawResult } from 'http-cache-tests'
import { setBaseUrl, setFetch, setUseBrowserCache } from 'http-cache-tests/client/config.mjs'
import { makeCacheTest, testResults, testUUIDs } from 'http-cache-tests/client/test.mjs'
import { createCache, type CacheRouteOptions } from '../../src/index.js'
import { startOrigin } from './origin.js'
import { startProxy } from './proxy.js'
import { runsHeadless, suiteFetch, SUITES, testById } from './suite.js'

/**
 * One conformance run: the suite's origin, the herdlock proxy in front of it (over the given
 * Redis), and the suite's own client (client/test.mjs, driven as its cli.mjs drives it: no
 * browser cache, node-fetch) running the chosen tests against the proxy. Everything the run
 * started is stopped before it returns, whatever happened.
 */

/** The cache modes the runner knows, and the route options each one means today. */
export const MODES = {
  /** cacheRoute as a route author uses it: the route's ttl decides. */
  default: {},
  /** cacheRoute as an RFC 9111 shared cache in front of the origin (issue 13). */
  shared: { mode: 'shared', invalidateOnUnsafe: true },
  /** The same, Accept-Language compared by its RFC 9110 meaning (an origin that negotiates so). */
  'shared-rfc': { mode: 'shared', invalidateOnUnsafe: true, acceptLanguage: 'rfc' },
} as const satisfies Record<string, CacheRouteOptions>

/** A mode name. */
export type Mode = keyof typeof MODES

/** What to run. */
export interface RunOptions {
  /** Redis the cache stores into. */
  readonly redisUrl: string
  /** Options of the route under test. */
  readonly routeOptions: CacheRouteOptions
  /** Test ids to run, with what they depend on (default: every test a headless client runs). */
  readonly ids?: readonly string[]
  /** Tests in flight at once (the suite's CLI runs chunks of 100). @default 25 */
  readonly concurrency?: number
  /** Ids whose requests and responses the suite's client prints. */
  readonly dump?: readonly string[]
}

/** Raw results by test id, as the suite's client reports them. */
export interface RunResult {
  readonly results: Record<string, RawResult>
  /** Infrastructure errors the cache reported (Redis, ...), which would explain odd failures. */
  readonly cacheErrors: readonly string[]
  /** Errors on client responses in the proxy (say, the route wrote after the response ended). */
  readonly proxyErrors: readonly string[]
  readonly durationMs: number
}

/** Every test id a headless client runs, in the suite's order. */
export function headlessTestIds(): string[] {
  return SUITES.flatMap((suite) => suite.tests.filter(runsHeadless).map((test) => test.id))
}

/** The tests and, transitively, the tests they depend on (a test only passes with them). */
export function withDependencies(ids: readonly string[]): string[] {
  const wanted = new Set<string>()
  const add = (id: string): void => {
    if (wanted.has(id)) return
    wanted.add(id)
    for (const dependency of testById(id).depends_on ?? []) add(dependency)
  }
  ids.forEach(add)
  // Browser-only tests are skipped, as the suite's CLI skips them.
  return headlessTestIds().filter((id) => wanted.has(id))
}

/** Run tests of the suite against a fresh herdlock proxy. */
export async function runConformance(options: RunOptions): Promise<RunResult> {
  const started = Date.now()
  const tests = withDependencies(options.ids ?? headlessTestIds()).map(testById)
  const cache = createCache({
    redis: options.redisUrl,
    prefix: `conformance-${process.pid}-${started}`,
    // The run measures HTTP semantics, not latency: on a loaded machine a 500 ms deadline turns
    // Redis calls into fail-open bypasses, and the suite would grade those instead.
    commandTimeout: '5s',
  })
  const cacheErrors: string[] = []
  cache.on('error', ({ source, operation, error }) =>
    cacheErrors.push(`${source} ${operation}: ${error.message}`),
  )
  const stops: (() => Promise<unknown>)[] = [() => cache.close()]
  try {
    const origin = await startOrigin()
    stops.unshift(() => origin.close())
    const proxy = await startProxy(cache, origin.url, options.routeOptions)
    stops.unshift(() => proxy.close())
    const dump = new Set(options.dump ?? [])
    const results = await runClient(proxy.url, tests, options.concurrency ?? 25, dump)
    return { results, cacheErrors, proxyErrors: proxy.errors, durationMs: Date.now() - started }
  } finally {
    for (const stop of stops) await stop().catch(() => undefined)
  }
}

async function runClient(
  baseUrl: string,
  tests: readonly CacheTest[],
  concurrency: number,
  dump: ReadonlySet<string>,
): Promise<Record<string, RawResult>> {
  setFetch(suiteFetch())
  setBaseUrl(baseUrl)
  setUseBrowserCache(false)
  // The client keeps results in module-level maps: start clean, so runs can follow each other.
  for (const test of tests) {
    delete testResults[test.id]
    delete testUUIDs[test.id]
    test.dump = dump.has(test.id)
  }
  const queue = [...tests]
  const worker = async (): Promise<void> => {
    for (let test = queue.shift(); test !== undefined; test = queue.shift()) {
      await makeCacheTest(test)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  const results: Record<string, RawResult> = {}
  for (const test of tests) {
    const result = testResults[test.id]
    if (result !== undefined) results[test.id] = result
    delete testResults[test.id]
  }
  return results
}
