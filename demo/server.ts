import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createCluster } from 'redis'
import { createCache, type Cache, type RedisConnectionInput } from '../src/index.js'
import { createDemoApp } from './app.js'
import { memoryScores, sharedScores } from './data.js'
import { pickRedis } from './redis-probe.js'

/**
 * The herdlock demo server: `npm run demo`. It caches in the Redis at REDIS_URL, else in a
 * Redis on 127.0.0.1:6379 when one answers, else in the built-in memory store, and says which.
 *
 * Environment: PORT (default 3000; 0 picks a free port), REDIS_URL, REDIS_CLUSTER (comma-separated
 * URLs of Redis Cluster nodes: the store is that cluster instead), LOCK_NODES (comma-separated
 * Redis URLs for the Redlock lock; default: the store's Redis), HERDLOCK_PREFIX (default
 * 'herdlock-demo'), INSTANCE (this instance's name in responses). Started with an IPC channel
 * (as `demo:cluster` does), it sends `{ type: 'ready', port }` once it listens.
 */

const env = process.env
const instance = env['INSTANCE'] ?? `pid-${process.pid}`
const lockNodes = (env['LOCK_NODES'] ?? '')
  .split(',')
  .map((url) => url.trim())
  .filter((url) => url !== '')
const clusterNodes = (env['REDIS_CLUSTER'] ?? '')
  .split(',')
  .map((url) => url.trim())
  .filter((url) => url !== '')
const caches: Cache[] = []
// Cluster clients this process connected (a cache never closes a client it was given).
const clusters: { close(): Promise<unknown> }[] = []
let server: Server | undefined
let stopping = false

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // `on`, not `once`: a second Ctrl-C (or a signal relayed by npm or tsx) must not cut the
  // shutdown short; the watchdog in `shutdown` ends one that hangs.
  process.on(signal, () => void shutdown())
}

try {
  await start(readPort(env['PORT']))
} catch (error) {
  console.error(`herdlock demo: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
  await shutdown({ quiet: true })
}

/** A connected cluster client for REDIS_CLUSTER (one per cache, as any app would do). */
async function connectCluster(): Promise<RedisConnectionInput> {
  const cluster = createCluster({ rootNodes: clusterNodes.map((url) => ({ url })) })
  cluster.on('error', () => undefined) // the cache reports failures through its own events
  await cluster.connect()
  clusters.push(cluster)
  return cluster
}

/** The store: REDIS_CLUSTER, else REDIS_URL or a local Redis (pickRedis), else memory. */
async function pickStore(): Promise<{
  connect: (() => Promise<RedisConnectionInput>) | undefined
  label: string
}> {
  if (clusterNodes.length > 0) {
    return { connect: connectCluster, label: `Redis Cluster (${clusterNodes.length} nodes)` }
  }
  const redis = await pickRedis()
  const url = redis.url
  return { connect: url === undefined ? undefined : () => Promise.resolve(url), label: redis.label }
}

async function start(port: number): Promise<void> {
  const store = await pickStore()
  const redis = { input: await store.connect?.(), label: store.label }
  const useLockNodes = redis.input !== undefined && lockNodes.length > 0
  const prefix = env['HERDLOCK_PREFIX'] ?? 'herdlock-demo'
  const cache = createCache({
    redis: redis.input,
    ...(useLockNodes ? { lock: { nodes: lockNodes } } : {}),
    prefix,
    defaultTtl: '30s',
  })
  caches.push(cache)
  // The fake database's score updates, shared by every instance on this Redis: a cache of its
  // own with stats off, so that its reads do not count in the demo's hit ratio.
  const scoreCache =
    store.connect === undefined
      ? undefined
      : createCache({
          redis: await store.connect(),
          prefix: `${prefix}-db`,
          stats: false,
        })
  if (scoreCache !== undefined) caches.push(scoreCache)
  if (redis.input !== undefined && !(await readyWithin(cache, 5_000))) {
    console.log('note: Redis has not answered yet; requests are served uncached until it does')
  }
  if (stopping) return // Ctrl-C while connecting

  const scores = scoreCache === undefined ? memoryScores() : sharedScores(scoreCache)
  const http = createServer(createDemoApp(cache, { instance, scores }))
  server = http
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, resolve)
  })
  const actual = (http.address() as AddressInfo).port
  printBanner(actual, redis.label, useLockNodes)
  process.send?.({ type: 'ready', port: actual, instance })
}

function printBanner(port: number, store: string, useLockNodes: boolean): void {
  const base = `http://localhost:${port}`
  const lock = useLockNodes ? `Redlock over ${lockNodes.length} nodes` : 'the store itself'
  console.log(`herdlock demo (${instance}) listening on ${base}`)
  console.log(`  caching in ${store}; lock: ${lock}`)
  if (!useLockNodes && lockNodes.length > 0) console.log('  (LOCK_NODES ignored: no Redis)')
  console.log('  try:')
  for (const [command, what] of [
    [`curl -i ${base}/api/matches`, 'MISS, then HIT'],
    [`curl -i ${base}/api/predictions/9`, '~350 ms once, then instant'],
    [`curl -i ${base}/api/teams/1/stats`, 'a @cached service method'],
    [
      `curl -i -X POST -H 'content-type: application/json' -d '{"home":2,"away":1,"minute":60}' ${base}/api/matches/9/score`,
      'invalidates match 9 everywhere',
    ],
    [`curl -s ${base}/cache/status`, 'hits, misses, fnRuns, health (also /health, /metrics)'],
  ] as const) {
    console.log(`    ${command}\n        # ${what}`)
  }
  console.log('  Ctrl-C stops it.')
}

/** Stop accepting requests, drop open connections, close the caches; the process then exits. */
async function shutdown(options: { quiet?: boolean } = {}): Promise<void> {
  if (stopping) return
  stopping = true
  // If something still holds the event loop after a clean close, say so instead of hanging.
  const watchdog = setTimeout(() => {
    console.error('herdlock demo: shutdown took more than 10 s, exiting anyway')
    process.exit(1)
  }, 10_000)
  watchdog.unref()
  if (server !== undefined) await closeServer(server)
  await Promise.all(caches.map((cache) => cache.close()))
  await Promise.all(clusters.map((cluster) => cluster.close().catch(() => undefined)))
  if (options.quiet !== true) console.log(`herdlock demo (${instance}) stopped`)
  if (process.connected) process.disconnect() // the IPC channel would keep the process alive
}

function closeServer(http: Server): Promise<void> {
  if (!http.listening) return Promise.resolve()
  const closed = new Promise<void>((resolve) => http.close(() => resolve()))
  http.closeAllConnections()
  return closed
}

function readPort(raw: string | undefined): number {
  const port = Number(raw ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be a port number (0-65535), got ${JSON.stringify(raw)}`)
  }
  return port
}

/** Whether the cache is connected and subscribed within `ms` (it keeps trying after that). */
async function readyWithin(cache: Cache, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)))
  try {
    return await Promise.race([cache.ready().then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}
