import type { LatencySnapshot } from './histogram.js'

/**
 * The plain-JSON shape of `Cache#stats()`. Counts are since the cache was created or since
 * `resetStats()`; durations are in ms.
 */

/** The counters of one namespace (and, summed, of the whole cache). */
export interface NamespaceStatsSnapshot {
  /** Fresh values served, all tiers. Waiters and coalesced callers are counted apart. */
  readonly hits: number
  /** Lookups that found no usable value. */
  readonly misses: number
  /** hits / (hits + misses); 0 before any lookup. Stale serves are outside this ratio. */
  readonly hitRatio: number
  /** Fresh hits by tier. */
  readonly hitsByTier: { readonly l1: number; readonly store: number }
  /** Stale values served (stale-while-revalidate, stale-if-error, soft timeout). */
  readonly stale: number
  readonly staleByReason: Readonly<Record<string, number>>
  /** Calls or requests that did not use the cache (store down, not cacheable). */
  readonly bypasses: number
  readonly bypassesByReason: Readonly<Record<string, number>>
  /** Results or responses deliberately not stored. */
  readonly notStored: number
  readonly notStoredByReason: Readonly<Record<string, number>>
  /** Values written, and their encoded size. */
  readonly stores: number
  readonly storedBytes: number
  /** Runs of the user's function in this process, and why it ran here. */
  readonly fnRuns: number
  readonly fnRunsByReason: Readonly<Record<string, number>>
  /** Runs that threw (or timed out). */
  readonly fnErrors: number
  readonly fnTimeouts: { readonly soft: number; readonly hard: number }
  /** Calls that shared another call's in-process flight. */
  readonly coalesced: number
  /** Calls that waited for another instance's computation, by how the wait ended. */
  readonly waits: number
  readonly waitsByOutcome: Readonly<Record<string, number>>
  /** How waiters were woken: by a pub/sub message, or by their safety-net poll. */
  readonly wakeups: { readonly message: number; readonly poll: number }
  /** Distributed lock outcomes. */
  readonly lock: {
    readonly acquired: number
    readonly contended: number
    readonly takeover: number
    readonly lost: number
  }
  /** Writes refused because a newer fence existed (a zombie holder, a later write). */
  readonly fenceRejected: number
  /** Stored entries that could not be decoded (deleted, treated as misses). */
  readonly corrupt: number
  /** Latency histograms: hit and miss lookups, waits for another instance, function runs. */
  readonly latency: {
    readonly hit: LatencySnapshot
    readonly miss: LatencySnapshot
    readonly lockWait: LatencySnapshot
    readonly fn: LatencySnapshot
  }
}

/** `Cache#stats()`: totals over every namespace, cache-wide counters, and each namespace. */
export interface StatsSnapshot extends NamespaceStatsSnapshot {
  /** False when the cache was created with `stats: false` (every count is then 0). */
  readonly enabled: boolean
  /** When counting started (creation or the last `resetStats()`), ISO 8601. */
  readonly since: string
  /** Upper bounds (ms) of the cumulative `buckets` of every latency histogram. */
  readonly latencyBucketsMs: readonly number[]
  /** Infrastructure errors, by source (store, lock, bus, codec). */
  readonly errors: number
  readonly errorsBySource: Readonly<Record<string, number>>
  /** Circuit-breaker transitions, by the state entered. */
  readonly breakerTransitions: Readonly<Record<string, number>>
  /** Invalidation calls by kind, and how many entries they removed. */
  readonly invalidations: Readonly<Record<string, number>>
  readonly invalidatedEntries: number
  /** Entries dropped from the L1 tier, by reason. */
  readonly l1Evictions: Readonly<Record<string, number>>
  /**
   * Per namespace. At most `stats.maxNamespaces` are tracked; later ones are counted together
   * under `(other)`, so memory stays bounded whatever names pass through.
   */
  readonly namespaces: Readonly<Record<string, NamespaceStatsSnapshot>>
}
