import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

/**
 * The one redis-server starter of the repository, used by the test harness, the demo cluster and
 * the benchmarks: a throwaway server (no persistence) on a loopback port, ready once it says so.
 */

/** The binary: `REDIS_SERVER_BIN`, else `redis-server` from the PATH. */
export const REDIS_SERVER_BIN = process.env['REDIS_SERVER_BIN'] ?? 'redis-server'

const READY_LINE = 'Ready to accept connections'
const OUTPUT_LIMIT = 20_000

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Whether `redis-server` can be run here. */
export function redisServerAvailable(): boolean {
  const probe = spawnSync(REDIS_SERVER_BIN, ['--version'], { stdio: 'ignore' })
  return probe.error === undefined && probe.status === 0
}

/** A running server. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly child: ChildProcess
  /** What it printed so far (the last 20 kB). */
  output(): string
  /** Kill it (SIGKILL, which also ends a stopped process) and wait for its exit. */
  stop(): Promise<void>
}

/** How to start a server. */
export interface RedisServerOptions {
  /** A port to bind; without one, a free port (tried again on a port race, 3 times). */
  readonly port?: number
  /** How long it may take to say it is ready. @default 15000 */
  readonly timeoutMs?: number
  /** Called as soon as the process exists, to track it before it is ready. */
  readonly onSpawn?: (child: ChildProcess) => void
  /** More `redis-server` arguments (e.g. `--cluster-enabled yes`), after the defaults. */
  readonly args?: readonly string[]
}

/** Start a server; rejects (with what it printed) when it exits or is not ready in time. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const attempts = options.port === undefined ? 3 : 1
  let lastError: Error | undefined
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await startOnce(options.port ?? (await freePort()), options)
    } catch (error) {
      lastError = error as Error
    }
  }
  throw lastError ?? new Error('redis-server did not start')
}

async function startOnce(port: number, options: RedisServerOptions): Promise<RedisServer> {
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ...(options.args ?? []),
  ]
  const child = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  options.onSpawn?.(child)
  let output = ''
  const exited = once(child, 'exit').catch(() => undefined)
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server on port ${port} not ready in time: ${output.trim()}`)),
      options.timeoutMs ?? 15_000,
    )
    const collect = (data: Buffer): void => {
      // Read everything: a full pipe would block the server's logging.
      output = (output + data.toString()).slice(-OUTPUT_LIMIT)
      if (!output.includes(READY_LINE)) return
      clearTimeout(timer)
      resolve()
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      reject(error)
    }
    child.once('error', (error) =>
      fail(new Error(`cannot run ${REDIS_SERVER_BIN}: ${error.message}`)),
    )
    child.once('exit', (code) => fail(new Error(`redis-server exited (${code}): ${output.trim()}`)))
  })
  try {
    await ready
  } catch (error) {
    await stop()
    throw error
  }
  return { port, url: `redis://127.0.0.1:${port}`, child, output: () => output, stop }
}
