/**
 * One "instance" of a service for the distributed tests: a separate Node process with its own
 * cache, driven over IPC by test/distributed/workers.ts.
 */
import { createClient } from 'redis'
import { createCache, type CacheEventName } from '../../src/index.js'

interface Config {
  redis: string
  lockNodes: string[]
  prefix: string
  lockTtl: number
  waitTimeout: number
  commandTimeout: number
}

interface RunCommand {
  type: 'run'
  key: string
  calls: number
  fnMs: number
  fail: boolean
}

const config = JSON.parse(process.env['HERDLOCK_WORKER'] ?? '{}') as Config
const cache = createCache({
  redis: config.redis,
  lock: { nodes: config.lockNodes },
  prefix: config.prefix,
  commandTimeout: config.commandTimeout,
  cacheFn: { lockTtl: config.lockTtl, waitTimeout: config.waitTimeout },
})
const counter = createClient({ url: config.redis })
counter.on('error', () => undefined)

const watched: CacheEventName[] = [
  'lock:takeover',
  'fence:rejected',
  'fn:run',
  'lock:lost',
  'error',
  'fn:woken',
]
const events: Record<string, number> = {}
for (const name of watched) cache.on(name, () => (events[name] = (events[name] ?? 0) + 1))

class UpstreamError extends Error {
  readonly code = 'E_UPSTREAM'
  constructor() {
    super('upstream failed')
    this.name = 'UpstreamError'
  }
}

async function run(command: RunCommand): Promise<void> {
  for (const name of Object.keys(events)) delete events[name]
  const fn = async (): Promise<{ pid: number; run: number }> => {
    const run = await counter.incr(`${config.prefix}:runs:${command.key}`)
    process.send?.({ type: 'fn-start' })
    await new Promise((resolve) => setTimeout(resolve, command.fnMs))
    if (command.fail) throw new UpstreamError()
    return { pid: process.pid, run }
  }
  const started = performance.now()
  const results = await Promise.all(
    Array.from({ length: command.calls }, () =>
      cache.cacheFn(command.key, fn).then(
        (value) => ({ ok: true, value, ms: performance.now() - started }),
        (error: Error & { code?: string }) => ({
          ok: false,
          error: { name: error.name, message: error.message, code: error.code },
          ms: performance.now() - started,
        }),
      ),
    ),
  )
  process.send?.({ type: 'done', results, events: { ...events } })
}

process.on('message', (message: { type: string }) => {
  if (message.type === 'run') void run(message as RunCommand)
  if (message.type === 'exit') {
    void Promise.all([cache.close(), counter.close()]).then(() => process.exit(0))
  }
})

await counter.connect()
// Warm up every connection (store, lock nodes, subscriber) before the parent says go.
await cache.cacheFn(`warmup:${process.pid}`, () => true)
process.send?.({ type: 'ready' })
