import type { CheckParams } from './check/params.js'
import { NAMESPACES } from './model.js'

/** Everything a soak run is configured by (durations in ms). */
export interface SoakSettings {
  readonly seed: number
  readonly workers: number
  readonly durationMs: number
  /** Herdlock's `commandTimeout` in every worker (its default). */
  readonly commandTimeoutMs: number
  readonly lockTtlMs: number
  readonly waitTimeoutMs: number
  /** The function sleeps between these (plus one read of the data generation). */
  readonly fnMinMs: number
  readonly fnMaxMs: number
  /** Share of function runs that throw. */
  readonly failRate: number
  /** Concurrent traffic loops per worker, and the longest pause between two operations. */
  readonly concurrency: number
  readonly thinkMaxMs: number
  /** One operation in this many is an invalidation (of a kind drawn by weight). */
  readonly invalidateOneIn: number
  /** No faults this long after traffic starts, nor this long before it stops. */
  readonly quietStartMs: number
  readonly quietEndMs: number
  /** Pause between two faults (drawn in this range). */
  readonly faultGapMinMs: number
  readonly faultGapMaxMs: number
}

export const DEFAULT_SETTINGS: Omit<SoakSettings, 'seed' | 'workers' | 'durationMs'> =
  Object.freeze({
    commandTimeoutMs: 500,
    lockTtlMs: 1_000,
    waitTimeoutMs: 5_000,
    fnMinMs: 5,
    fnMaxMs: 80,
    failRate: 0.02,
    concurrency: 4,
    thinkMaxMs: 40,
    invalidateOneIn: 100,
    quietStartMs: 3_000,
    quietEndMs: 4_000,
    faultGapMinMs: 1_000,
    faultGapMaxMs: 4_000,
  })

/**
 * Allowances the checker measures against (stated in the report):
 * - the function's bound is its longest sleep plus 50 ms for its read of the data generation;
 * - herdlock's waiter polls at most every 1 s;
 * - a fault's effects may last 3 s after it ends (client reconnect backoff, resubscription,
 *   breaker cooldown);
 * - another process gets 1 s of running time to hear of an invalidation (pub/sub delivery);
 * - memory is judged after a warm-up of a third of the run (at most 60 s); growth allowed
 *   after it: 24 MiB of heap, 48 MiB of RSS.
 */
export function checkParams(settings: SoakSettings, startedAt: number): CheckParams {
  return {
    ttlMs: Object.fromEntries(NAMESPACES.map((ns) => [ns.name, ns.ttlMs])),
    commandTimeoutMs: settings.commandTimeoutMs,
    fnMaxMs: settings.fnMaxMs + 50,
    lockTtlMs: settings.lockTtlMs,
    waitTimeoutMs: settings.waitTimeoutMs,
    pollMaxMs: 1_000,
    recoveryMs: 3_000,
    propagationMs: 1_000,
    warmupMs: Math.min(60_000, settings.durationMs / 3),
    heapGrowthMaxBytes: 24 * 2 ** 20,
    rssGrowthMaxBytes: 48 * 2 ** 20,
    startedAt,
  }
}

/** What a worker process is told at start. */
export interface WorkerSettings {
  readonly index: number
  readonly seed: number
  readonly l1: boolean
  readonly store: string
  readonly lockNodes: readonly string[]
  readonly oracle: string
  readonly prefix: string
  readonly logFile: string
  readonly soak: SoakSettings
}
