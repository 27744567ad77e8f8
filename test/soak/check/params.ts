import type { FaultKind, FaultRecord } from '../history.js'

/** The settings the invariants are measured against (all durations in ms). */
export interface CheckParams {
  /** Fresh lifetime of values, by namespace. */
  readonly ttlMs: Readonly<Record<string, number>>
  readonly commandTimeoutMs: number
  /** Longest the soak's function runs (its own sleep; no I/O but one oracle GET). */
  readonly fnMaxMs: number
  readonly lockTtlMs: number
  readonly waitTimeoutMs: number
  /** Longest gap between a waiter's safety-net polls (herdlock's follower: 1 s). */
  readonly pollMaxMs: number
  /** How long a fault's effects may last after it ended (reconnects, breaker cooldown). */
  readonly recoveryMs: number
  /** Running time another process may take to hear of an invalidation (pub/sub delivery). */
  readonly propagationMs: number
  /** Memory samples before `start + warmupMs` are ignored. */
  readonly warmupMs: number
  readonly heapGrowthMaxBytes: number
  readonly rssGrowthMaxBytes: number
  /** When traffic started (the first call may come later). */
  readonly startedAt: number
}

/** Which invariant a violation breaks. */
export type Invariant =
  'runs' | 'freshness' | 'bounds' | 'errors' | 'failure-provenance' | 'crash' | 'memory' | 'exit'

/** One broken invariant, with what it concerned and the fault that preceded it. */
export interface Violation {
  readonly invariant: Invariant
  readonly at: number
  readonly message: string
  readonly key?: string
  readonly worker?: number
  /** The latest fault that started at or before `at`, and how long before. */
  readonly precedingFault?: string
}

/**
 * How a fault kind can explain what happens while its effects last:
 * - `outage`: the store or the lock quorum is unavailable, so calls fail open and compute on
 *   their own (any number of extra runs is accounted for);
 * - `holder`: a process is stopped, so a lock it holds can expire and one waiter takes over
 *   (one extra run per key per pause, when the paused process held it or waited for it);
 * - `none`: the cache must mask it entirely (one lock node of three, a killed subscriber).
 */
export function faultClass(kind: FaultKind): 'outage' | 'holder' | 'none' {
  switch (kind) {
    case 'store-pause':
    case 'store-restart':
    case 'lock-quorum':
      return 'outage'
    case 'worker-pause':
      return 'holder'
    default:
      return 'none'
  }
}

/** A time interval, ends included. */
export interface Span {
  readonly start: number
  readonly end: number
}

/** Where a fault's effects can be felt: from its start to `recoveryMs` after its end. */
export function effect(fault: FaultRecord, params: CheckParams): Span {
  return { start: fault.start, end: fault.end + params.recoveryMs }
}

export function overlaps(a: Span, b: Span): boolean {
  return a.start <= b.end && b.start <= a.end
}

/** Total time of `spans` inside `within`. */
export function overlapMs(spans: readonly Span[], within: Span): number {
  let total = 0
  for (const span of spans) {
    const start = Math.max(span.start, within.start)
    const end = Math.min(span.end, within.end)
    if (end > start) total += end - start
  }
  return total
}

/** "store-pause store (1.2 s before)": the latest fault started at or before `at`. */
export function precedingFault(faults: readonly FaultRecord[], at: number): string | undefined {
  let latest: FaultRecord | undefined
  for (const fault of faults) {
    if (fault.start <= at && (latest === undefined || fault.start > latest.start)) latest = fault
  }
  if (latest === undefined) return undefined
  const ago = ((at - latest.start) / 1000).toFixed(2)
  const lasted = ((latest.end - latest.start) / 1000).toFixed(2)
  return `${latest.id} ${latest.kind} ${latest.target} (started ${ago} s before, lasted ${lasted} s)`
}

/** The namespace of a key id. */
export function namespaceOf(key: string): string {
  return key.slice(0, key.indexOf('/'))
}
