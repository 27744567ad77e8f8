import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { startRedisServer as startServer } from '../tools/redis-server.js'

/**
 * The processes behind `npm run demo:cluster`: redis-server instances and demo app instances,
 * each tracked from the moment it is spawned so that nothing outlives the showcase, whether it
 * succeeds, fails or is interrupted.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SERVER_FILE = fileURLToPath(new URL('./server.ts', import.meta.url))
/** Generous: four instances compile TypeScript at once, maybe on a busy two-core machine. */
const APP_START_TIMEOUT_MS = 60_000
const REDIS_START_TIMEOUT_MS = 15_000
const STOP_GRACE_MS = 5_000

/** A started child process and what it printed (kept to show when something goes wrong). */
export interface Proc {
  readonly name: string
  readonly child: ChildProcess
  readonly pid: number
  /** stdout and stderr so far (the last 20 kB). */
  output(): string
  /** stderr so far (the last 20 kB). */
  errors(): string
}

/** Every child the showcase started. `stopAll` is idempotent; `killNow` is the last resort. */
export class ProcessGroup {
  readonly #procs: Proc[] = []
  #stopping: Promise<void> | undefined

  constructor() {
    // Whatever happens (an uncaught error, process.exit), no child survives this process.
    process.once('exit', () => this.killNow())
  }

  /** The processes started so far, in start order. */
  get procs(): readonly Proc[] {
    return this.#procs
  }

  /** Track a freshly spawned child; its output is collected at once (a full pipe would block it). */
  track(name: string, child: ChildProcess): Proc {
    let all = ''
    let err = ''
    const keep = (s: string): string => (s.length > 20_000 ? s.slice(-20_000) : s)
    child.stdout?.on('data', (d: Buffer) => (all = keep(all + d.toString())))
    child.stderr?.on('data', (d: Buffer) => {
      all = keep(all + d.toString())
      err = keep(err + d.toString())
    })
    child.on('error', () => undefined) // reported by whoever waits for the start
    const proc: Proc = { name, child, pid: child.pid ?? -1, output: () => all, errors: () => err }
    if (child.pid !== undefined) this.#procs.push(proc)
    return proc
  }

  /** SIGTERM every live child, wait for it to exit, SIGKILL what does not within 5 s. */
  stopAll(): Promise<void> {
    this.#stopping ??= Promise.all(this.#procs.map((proc) => stop(proc.child))).then(() => {})
    return this.#stopping
  }

  /** SIGKILL every live child now (synchronous, for exit handlers). */
  killNow(): void {
    for (const { child } of this.#procs) if (alive(child)) child.kill('SIGKILL')
  }
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

async function stop(child: ChildProcess): Promise<void> {
  if (!alive(child)) return
  const exited = once(child, 'exit')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
  child.kill('SIGTERM')
  await exited
  clearTimeout(timer)
}

/** Whether `redis-server` can be run here. */
export { redisServerAvailable } from '../tools/redis-server.js'

/** Start a throwaway redis-server (no persistence) on a free loopback port; resolves to its URL. */
export async function startRedisServer(group: ProcessGroup, name: string): Promise<string> {
  const server = await startServer({
    timeoutMs: REDIS_START_TIMEOUT_MS,
    onSpawn: (child) => group.track(name, child),
  })
  return server.url
}

/** A running demo app instance. */
export interface AppInstance extends Proc {
  readonly port: number
}

/**
 * Start `demo/server.ts` in its own Node process (PORT=0: it picks a free port and reports it
 * over IPC once it listens), then check that it answers its health route.
 */
export async function startApp(
  group: ProcessGroup,
  name: string,
  env: Record<string, string>,
): Promise<AppInstance> {
  const child = fork(SERVER_FILE, [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env, PORT: '0', INSTANCE: name },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const proc = group.track(name, child)
  const port = await waitFor<number>(proc, APP_START_TIMEOUT_MS, (resolve) =>
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type === 'ready' && typeof message.port === 'number') resolve(message.port)
    }),
  )
  const health = await httpGet(port, '/cache/status/health')
  if (health.status !== 200) throw new Error(`${name} is not healthy: ${health.body}`)
  return { ...proc, port }
}

/** Resolve when `listen` says so; reject when the process fails, exits or takes too long. */
function waitFor<T = void>(
  proc: Proc,
  timeoutMs: number,
  listen: (resolve: (value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${proc.name} did not start within ${timeoutMs / 1000} s`)),
      timeoutMs,
    )
    const settle = (fn: () => void): void => {
      clearTimeout(timer)
      fn()
    }
    proc.child.once('error', (error) =>
      settle(() => reject(new Error(`cannot run ${proc.name}: ${error.message}`))),
    )
    proc.child.once('exit', (code, signal) =>
      settle(() => reject(new Error(`${proc.name} exited during start (${code ?? signal})`))),
    )
    listen((value) => settle(() => resolve(value)))
  })
}

/** One HTTP response, with how long it took. */
export interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
  readonly ms: number
}

/** GET a path of a local instance on a fresh connection (no pooling: every request is alike). */
export function httpGet(port: number, path: string, timeoutMs = 30_000): Promise<Reply> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        const ms = performance.now() - started
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms })
      })
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path} timed out`)))
    req.on('error', reject)
    req.end()
  })
}
