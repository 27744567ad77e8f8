import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * What the HTTP benchmark's processes say to each other (over IPC), and how the parent starts,
 * questions and stops them. Every process of the HTTP benchmark is a child of the parent: one
 * server per contender (bench/http-server.ts) and one load generator (bench/http-load.ts).
 */

/** The servers under test, each an Express 5 app in its own process. */
export const CONTENDERS = [
  'plain',
  'herdlock',
  'herdlock-l1',
  'apicache-redis',
  'apicache-memory',
  'express-redis-cache',
] as const
export type ContenderName = (typeof CONTENDERS)[number]

export function isContender(name: unknown): name is ContenderName {
  return CONTENDERS.some((c) => c === name)
}

export const CONTENDER_LABELS: Record<ContenderName, string> = {
  plain: 'plain Express 5 res.json',
  herdlock: 'herdlock cacheRoute (Redis, L1 off)',
  'herdlock-l1': 'herdlock cacheRoute (L1 on)',
  'apicache-redis': 'apicache 1.6 (Redis)',
  'apicache-memory': 'apicache 1.6 (memory)',
  'express-redis-cache': 'express-redis-cache 1.1',
}

/** Parent → server. */
export type ToServer = { readonly type: 'usage' } | { readonly type: 'exit' }

/** Server → parent. `runs` counts handler executions by route key; `cpuUs` is its CPU so far. */
export type FromServer =
  | { readonly type: 'ready'; readonly port: number }
  | {
      readonly type: 'usage'
      readonly runs: Readonly<Record<string, number>>
      readonly cpuUs: number
    }

/** Closed-loop load: `connections` keep-alive connections, one request in flight on each. */
export interface LoadJob {
  readonly type: 'load'
  readonly port: number
  readonly path: string
  readonly connections: number
  readonly durationMs: number
  /** Response header whose values are tallied (lower case), e.g. 'x-cache'. */
  readonly header: string
}

/** `count` connections are opened and warmed on `warmPath`, then all send `path` at once. */
export interface BurstJob {
  readonly type: 'burst'
  readonly port: number
  readonly path: string
  readonly warmPath: string
  readonly count: number
  readonly header: string
}

export type ToLoad = LoadJob | BurstJob | { readonly type: 'exit' }

/** Tallies of status codes and of the watched header's values ('(none)' when absent). */
export interface Tally {
  readonly statuses: Readonly<Record<string, number>>
  readonly header: Readonly<Record<string, number>>
  readonly errors: readonly string[]
}

export type FromLoad =
  | { readonly type: 'ready' }
  | (Tally & {
      readonly type: 'loaded'
      readonly requests: number
      readonly seconds: number
      /** Latency percentiles of this job, in ms. */
      readonly p50: number
      readonly p99: number
      /** The generator's own CPU time over the job, as a share of one core (0..1+). */
      readonly cpuShare: number
    })
  | (Tally & { readonly type: 'burst'; readonly latencies: readonly number[] })

/**
 * Start a benchmark process with an IPC channel: through tsx when this file runs as TypeScript,
 * with plain node when it runs compiled (then the sibling .js file is started).
 */
export function startChild(script: string, args: readonly string[]): ChildProcess {
  const typescript = import.meta.url.endsWith('.ts')
  const file = fileURLToPath(new URL(`./${script}.${typescript ? 'ts' : 'js'}`, import.meta.url))
  const flags = typescript ? ['--import', 'tsx', '--no-deprecation'] : ['--no-deprecation']
  const child = spawn(process.execPath, [...flags, file, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const kill = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', kill)
  child.once('exit', () => process.off('exit', kill))
  return child
}

/** The next message of `type` from a child; rejects when it exits first or takes too long. */
export function nextMessage<M extends { readonly type: string }, K extends M['type']>(
  child: ChildProcess,
  type: K,
  timeoutMs: number,
): Promise<Extract<M, { type: K }>> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const onMessage = (message: M): void => {
      if (message.type !== type) return
      cleanup()
      resolve(message as Extract<M, { type: K }>)
    }
    const onExit = (code: number | null): void => {
      cleanup()
      reject(new Error(`bench process ${child.pid} exited (${code}) before "${type}"`))
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`bench process ${child.pid}: no "${type}" within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

/**
 * Ask a child to exit; it must end by itself, with code 0, within 10 s or it is killed. Resolves
 * whether it did.
 */
export async function stopChild(child: ChildProcess, name: string): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode === 0
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  if (child.connected) child.send({ type: 'exit' })
  let clean = true
  const timer = setTimeout(() => {
    clean = false
    console.error(`bench: ${name} (pid ${child.pid}) did not exit by itself: killed`)
    child.kill('SIGKILL')
  }, 10_000)
  await exited
  clearTimeout(timer)
  if (child.exitCode !== 0) console.error(`bench: ${name} exited with code ${child.exitCode}`)
  return clean && child.exitCode === 0
}
