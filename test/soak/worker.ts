/**
 * One soak worker: a separate Node process with its own cache (L1 on or off), running
 * `concurrency` traffic loops until the parent says stop, recording every call, function run,
 * invalidation, notable cache event, memory sample and crash to its JSON-lines log. On stop it
 * settles its operations, closes everything and exits by itself; if something keeps it alive,
 * it writes the open handles next to its log (the parent then kills it and reports them).
 */
import { createWriteStream, writeFileSync } from 'node:fs'
import { createClient, type RedisClientType } from 'redis'
import { createCache } from '../../src/index.js'
import type { SoakRecord } from './history.js'
import { Random } from './random.js'
import type { WorkerSettings } from './settings.js'
import { sleep, Traffic } from './traffic.js'

const config = JSON.parse(process.env['SOAK_WORKER'] ?? '{}') as WorkerSettings
const soak = config.soak
const log = createWriteStream(config.logFile)
let logClosed = false
const record = (entry: SoakRecord): void => {
  if (!logClosed) log.write(`${JSON.stringify(entry)}\n`)
}
const worker = config.index

for (const kind of ['unhandledRejection', 'uncaughtException'] as const) {
  process.on(kind, (error: unknown) => {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    record({ type: 'crash', worker, at: Date.now(), kind, message })
  })
}

const cache = createCache({
  redis: config.store,
  lock: { nodes: [...config.lockNodes] },
  prefix: config.prefix,
  commandTimeout: soak.commandTimeoutMs,
  l1: config.l1 ? {} : false,
  cacheFn: { lockTtl: soak.lockTtlMs, waitTimeout: soak.waitTimeoutMs },
})
const explained = ['lock:takeover', 'lock:lost', 'fence:rejected'] as const
for (const name of explained) {
  cache.on(name, ({ namespace }) =>
    record({ type: 'event', worker, at: Date.now(), name, detail: namespace }),
  )
}
cache.on('error', ({ source, operation, error }) => {
  const code = (error as { code?: unknown }).code
  const detail = `${source}/${operation}: ${typeof code === 'string' ? code : error.message}`
  record({ type: 'event', worker, at: Date.now(), name: 'error', detail })
})
const oracle = createClient({ url: config.oracle }) as RedisClientType
oracle.on('error', () => undefined)
const traffic = new Traffic(worker, cache, oracle, new Random(config.seed), soak, record)

let stopping = false
const loops: Promise<void>[] = []
const sampler = setInterval(sampleMemory, 1_000)

function sampleMemory(): void {
  const { rss, heapUsed } = process.memoryUsage()
  record({ type: 'memory', worker, at: Date.now(), rss, heapUsed })
}

async function loop(random: Random): Promise<void> {
  while (!stopping) {
    await traffic.step()
    await sleep(random.int(0, soak.thinkMaxMs))
  }
}

/** Settle operations (each bounded), record what did not settle, close, let the process end. */
async function stop(): Promise<void> {
  stopping = true
  const liveness = soak.waitTimeoutMs + 2 * soak.fnMaxMs + 10 * soak.commandTimeoutMs
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    Promise.all(loops),
    new Promise((resolve) => (timer = setTimeout(resolve, liveness))),
  ])
  clearTimeout(timer)
  for (const op of traffic.pending) {
    record({
      type: 'call',
      worker,
      key: op.key,
      start: op.start,
      end: Date.now(),
      startSeq: op.startSeq,
      endSeq: op.startSeq,
      outcome: 'hung',
    })
  }
  clearInterval(sampler)
  sampleMemory()
  await cache.close().catch((error: Error) => record(closeFailure('cache', error)))
  await oracle.close().catch((error: Error) => record(closeFailure('oracle', error)))
  logClosed = true
  await new Promise<void>((resolve) => log.end(resolve))
  const watchdog = setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles()
    writeFileSync(`${config.logFile}.leaks`, JSON.stringify(handles.map((h) => h.constructor.name)))
  }, 3_000)
  watchdog.unref()
  process.disconnect()
}

function closeFailure(what: string, error: Error): SoakRecord {
  const message = `closing the ${what} failed: ${error.message}`
  return { type: 'crash', worker, at: Date.now(), kind: 'uncaughtException', message }
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'go') {
    for (let i = 0; i < soak.concurrency; i++) loops.push(loop(new Random(config.seed * 31 + i)))
  }
  if (message.type === 'stop') void stop()
})

await oracle.connect()
await cache.ready()
// Warm every connection (store, lock nodes, subscriber) before the parent says go.
await cache.cacheFn(`warmup-${worker}`, () => true, { namespace: 'warmup' })
process.send?.({ type: 'ready' })
