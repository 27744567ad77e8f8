import type { ChildProcess } from 'node:child_process'
import { nextMessage } from '../support/child.js'

/**
 * What the HTTP benchmark's processes say to each other (over IPC). Every process of the HTTP
 * benchmark is a child of the parent, started and stopped with the helpers of bench/support/child.ts: one
 * server per contender (bench/http/server.ts) and one load generator (bench/http/load.ts).
 */

/** The servers under test, each an Express 5 app in its own process. */
export const CONTENDERS = [
  'plain',
  'floor',
  'herdlock',
  'herdlock-l1',
  'herdlock-shared',
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
  floor: 'floor: the route answers stored bytes, no lookup',
  herdlock: 'herdlock cacheRoute (Redis, L1 off)',
  'herdlock-l1': 'herdlock cacheRoute (L1 on)',
  'herdlock-shared': "herdlock cacheRoute mode 'shared' (Redis, L1 off)",
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

/** The header each contender labels its hits with, and the value a hit carries. */
export const LABELS: Record<ContenderName, { header: string; hit: string | undefined }> = {
  plain: { header: 'x-cache', hit: undefined },
  floor: { header: 'x-cache', hit: undefined },
  herdlock: { header: 'x-cache', hit: 'HIT' },
  'herdlock-l1': { header: 'x-cache', hit: 'HIT' },
  'herdlock-shared': { header: 'x-cache', hit: 'HIT' },
  'apicache-redis': { header: 'apicache-store', hit: 'redis' },
  'apicache-memory': { header: 'apicache-store', hit: 'memory' },
  'express-redis-cache': { header: 'x-cache', hit: undefined }, // no label: the counter proves it
}

/** A server under test, as the parent holds it. */
export interface Server {
  readonly name: ContenderName
  readonly child: ChildProcess
  port: number
}

/** Ask a server for its handler runs and CPU time so far. */
export const usage = (server: Server) => {
  const reply = nextMessage<FromServer, 'usage'>(server.child, 'usage', 10_000)
  server.child.send({ type: 'usage' })
  return reply
}
