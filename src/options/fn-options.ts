import type { Duration } from '../duration.js'
import type { SkipReason } from '../observe/events.js'
import type { EntryKeys } from '../entries/keyspace.js'

/** Options of one `cacheFn` call. Unset options fall back to the cache's `cacheFn` defaults. */
export interface CacheFnOptions<T = unknown> {
  /** How long a computed value stays fresh. @default the cache's `defaultTtl` ('5m') */
  ttl?: Duration
  /** Namespace of the key. @default the cache's `namespace` ('default') */
  namespace?: string
  /**
   * After `ttl`, keep serving the stale value this long while one caller (across all instances)
   * refreshes it in the background. @default 0 (off)
   */
  staleWhileRevalidate?: Duration
  /**
   * After `ttl`, serve the stale value this long when the function fails or times out
   * (fail-safe). @default 0 (off)
   */
  staleIfError?: Duration
  /**
   * Refresh in the background once this fraction of `ttl` has passed (0 < x < 1), so hot keys
   * never expire. @default undefined (off)
   */
  eagerRefresh?: number
  /** Lifetime of the lock; the holder extends it every third of it while the function runs. @default '5s' */
  lockTtl?: Duration
  /** Longest a caller waits for another instance's computation. @default '10s' */
  waitTimeout?: Duration
  /**
   * What a waiter does after `waitTimeout` when the holder is still alive: `'run'` computes itself
   * (its write is fenced), `'throw'` rejects with WaitTimeoutError. @default 'run'
   */
  onWaitTimeout?: 'run' | 'throw'
  /** Soft timeout: when a stale value exists, serve it after this long and let the function finish in the background. @default 0 (off) */
  timeout?: Duration
  /** Hard timeout: reject with HardTimeoutError and abort the function's signal. @default 0 (off) */
  hardTimeout?: Duration
  /** Tags of the stored value, for `invalidate({ tags })`. @default [] */
  tags?: readonly string[]
  /** Add a random 0..ttlJitter to each stored ttl, so keys written together do not expire together. @default 0 */
  ttlJitter?: Duration
  /** Return false to not store a result (it is still returned). @default store everything */
  shouldCache?: (value: T) => boolean
  /** A separate ttl for "not found" results (see `isNotFound`). @default undefined (use `ttl`) */
  notFoundTtl?: Duration
  /** Which results are "not found". @default value === null || value === undefined */
  isNotFound?: (value: T) => boolean
  /** Cache failures of the function this long (callers get the same error without a run). @default 0 (off) */
  errorTtl?: Duration
  /**
   * When a result is not stored, write a short marker so other callers skip the lock and run
   * the function themselves for this long (like Varnish's hit-for-miss). @default 0 (off)
   */
  passTtl?: Duration
  /** Stop waiting when aborted (the computation goes on for other callers). */
  signal?: AbortSignal
  /**
   * Compute even when a fresh value is stored, as a miss would (once per key in this process,
   * under the lock across instances, fenced), and store the result. The stored value stays in
   * place until then: other callers keep getting it, and it is the fallback `staleIfError`
   * serves when the function fails (within the entry's window); a failure or an unstored result
   * does not cover it with a marker. A cached failure or pass marker is not taken for an answer
   * either. Forced calls that overlap share one computation (as concurrent misses do): when the
   * data changed, `invalidate()` is what guarantees a newer value. @default false
   */
  forceFresh?: boolean
  /**
   * Promise not to mutate the value: hits from the L1 tier then share one decoded copy instead
   * of decoding a fresh one each time (faster; used by cacheRoute for stored responses).
   * @default false
   */
  immutable?: boolean
}

/** Cache-wide defaults for cacheFn options (everything but per-call identity and signal). */
export type CacheFnDefaults = Omit<
  CacheFnOptions,
  'namespace' | 'tags' | 'signal' | 'shouldCache' | 'isNotFound' | 'immutable'
>

/**
 * How to store one result, decided by the function once it knows the value (adaptive caching).
 *
 * @inline
 */
export interface ResultOptions {
  /** Fresh lifetime of this result. */
  ttl?: Duration
  /** Tags of this result (replace the call's tags). */
  tags?: readonly string[]
  /** Stale-while-revalidate window of this result. */
  staleWhileRevalidate?: Duration
  /** Stale-if-error window of this result. */
  staleIfError?: Duration
}

/** What the function receives. */
export interface CacheFnContext<T = unknown> {
  /** Aborted on hard timeout. */
  readonly signal: AbortSignal
  /** The cache key. */
  readonly key: string
  /** The namespace. */
  readonly namespace: string
  /** The stale value being refreshed, if any. */
  readonly stale: T | undefined
  /**
   * True when the store or the lock is unavailable: the result will not be shared with other
   * instances (the cache failed open).
   */
  readonly degraded: boolean
  /**
   * Do not store this result; it is still returned to the callers here, and callers waiting in
   * other instances are told to run the function themselves. The reason shows in stats.
   * Bound: `({ skip }) => ...` works.
   */
  readonly skip: (reason?: SkipReason) => void
  /**
   * Store this result with other settings than the call's (e.g. a ttl read from the value).
   * Bound: `({ setOptions }) => ...` works.
   */
  readonly setOptions: (options: ResultOptions) => void
}

/** The function cacheFn runs on a miss. */
export type CacheFnFunction<T> = (context: CacheFnContext<T>) => T | Promise<T>

/** A call's options, resolved: durations in ms, defaults applied. */
export interface FnPlan<T> {
  readonly key: string
  readonly namespace: string
  readonly keys: EntryKeys
  readonly ttlMs: number
  readonly staleWhileRevalidateMs: number
  readonly staleIfErrorMs: number
  readonly eagerRefresh: number | undefined
  readonly lockTtlMs: number
  readonly waitTimeoutMs: number
  readonly onWaitTimeout: 'run' | 'throw'
  readonly softTimeoutMs: number
  readonly hardTimeoutMs: number
  readonly tags: readonly string[]
  readonly jitterMs: number
  readonly shouldCache: ((value: T) => boolean) | undefined
  readonly notFoundTtlMs: number | undefined
  readonly isNotFound: (value: T) => boolean
  readonly errorTtlMs: number
  readonly passTtlMs: number
  readonly signal: AbortSignal | undefined
  readonly immutable: boolean
  readonly forceFresh: boolean
}

/** Built-in defaults of cacheFn (the cache's own `defaultTtl` supplies `ttl`). */
export const CACHE_FN_DEFAULTS = Object.freeze({
  /** Default of the `lockTtl` option. */
  lockTtl: '5s',
  /** Default of the `waitTimeout` option. */
  waitTimeout: '10s',
  /** Default of the `onWaitTimeout` option. */
  onWaitTimeout: 'run',
} as const)

/** Cache-level defaults, resolved once: the settings of {@link FnPlan} a call can override. */
export type ResolvedFnDefaults = Pick<
  FnPlan<unknown>,
  | 'ttlMs'
  | 'staleWhileRevalidateMs'
  | 'staleIfErrorMs'
  | 'eagerRefresh'
  | 'lockTtlMs'
  | 'waitTimeoutMs'
  | 'onWaitTimeout'
  | 'softTimeoutMs'
  | 'hardTimeoutMs'
  | 'jitterMs'
  | 'notFoundTtlMs'
  | 'errorTtlMs'
  | 'passTtlMs'
>
