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
  readonly hitsByTier: {
    /** Served from the in-process L1 tier. */
    readonly l1: number
    /** Served from the store (Redis or memory). */
    readonly store: number
  }
  /** Stale values served (stale-while-revalidate, stale-if-error, soft timeout, client's choice). */
  readonly stale: number
  /** Stale serves by reason: `revalidate`, `error`, `timeout`. */
  readonly staleByReason: Readonly<Record<string, number>>
  /** Calls or requests that did not use the cache (store down, not cacheable). */
  readonly bypasses: number
  /** Bypasses by reason (e.g. `method`, `authorization`, `client`, `error`). */
  readonly bypassesByReason: Readonly<Record<string, number>>
  /** Results or responses deliberately not stored. */
  readonly notStored: number
  /** Results not stored, by reason (see SkipReason). */
  readonly notStoredByReason: Readonly<Record<string, number>>
  /** Values written. */
  readonly stores: number
  /** Total encoded size of the values written, in bytes. */
  readonly storedBytes: number
  /** Runs of the user's function in this process. */
  readonly fnRuns: number
  /** Runs by why the function ran here: `lock`, `takeover`, `fallback`, `wait-timeout`, `pass`. */
  readonly fnRunsByReason: Readonly<Record<string, number>>
  /** Runs that threw (or timed out). */
  readonly fnErrors: number
  /** Timeouts of the function, by kind. */
  readonly fnTimeouts: {
    /** Soft timeouts (a stale value was served while the function went on). */
    readonly soft: number
    /** Hard timeouts (the call rejected with HardTimeoutError). */
    readonly hard: number
  }
  /** Calls that shared another call's in-process flight. */
  readonly coalesced: number
  /** Calls that waited for another instance's computation. */
  readonly waits: number
  /** Waits by how they ended: `value`, `error`, `timeout`. */
  readonly waitsByOutcome: Readonly<Record<string, number>>
  /** How waiters were woken: by a pub/sub message, or by their safety-net poll. */
  readonly wakeups: {
    /** Woken by a "ready" or "failed" message on the bus. */
    readonly message: number
    /** Woken by the backoff poll (a message was late or lost). */
    readonly poll: number
  }
  /** Distributed lock outcomes. */
  readonly lock: {
    /** Lock acquisitions won. */
    readonly acquired: number
    /** Attempts that found the lock held by another caller. */
    readonly contended: number
    /** Takeovers after a holder's lock expired. */
    readonly takeover: number
    /** Locks lost while the function ran (extension failed). */
    readonly lost: number
  }
  /** Writes refused because a newer fence existed (a zombie holder, a later write). */
  readonly fenceRejected: number
  /** Stored entries that could not be decoded (deleted, treated as misses). */
  readonly corrupt: number
  /** Latency histograms: hit and miss lookups, waits for another instance, function runs. */
  readonly latency: {
    /** Lookups that found a fresh value. */
    readonly hit: LatencySnapshot
    /** Lookups that found no usable value. */
    readonly miss: LatencySnapshot
    /** Waits for another instance's computation. */
    readonly lockWait: LatencySnapshot
    /** Runs of the user's function. */
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
  /** Infrastructure errors by source: `store`, `lock`, `bus`, `codec`. */
  readonly errorsBySource: Readonly<Record<string, number>>
  /** Circuit-breaker transitions, by the state entered. */
  readonly breakerTransitions: Readonly<Record<string, number>>
  /** Invalidation calls by kind: `key`, `namespace`, `tags`, `pattern`. */
  readonly invalidations: Readonly<Record<string, number>>
  /** Entries removed by invalidations. */
  readonly invalidatedEntries: number
  /** Entries dropped from the L1 tier, by reason. */
  readonly l1Evictions: Readonly<Record<string, number>>
  /**
   * Per namespace. At most `stats.maxNamespaces` are tracked; later ones are counted together
   * under `(other)`, so memory stays bounded whatever names pass through.
   */
  readonly namespaces: Readonly<Record<string, NamespaceStatsSnapshot>>
}
