import type { Entry } from './entries/entry-codec.js'
import { closeParts, type CacheParts } from './cache-parts.js'
import { CacheClosedError } from './errors.js'
import {
  DirectOps,
  type EntryOptions,
  type KeyOptions,
  type LocalOptions,
  type SetManyEntry,
  type SetOptions,
} from './entries/direct-ops.js'
import type { CacheEventListener, CacheEventMap, CacheEventName } from './observe/events.js'
import { cached, type CachedOptions, type MethodDecorator } from './decorator.js'
import type { HealthReport } from './observe/health.js'
import type { CacheFnFunction, CacheFnOptions } from './options/fn-options.js'
import type { CacheFnResult } from './fn/result.js'
import type { InvalidateTarget } from './entries/invalidation.js'
import type { StatsSnapshot } from './observe/stats/snapshot.js'

/**
 * The cache: direct reads and writes, invalidation, events. Store failures never reach the
 * caller (unless `throwOnStoreError`): reads miss, writes are skipped, both are reported as
 * `error` events.
 */
export class Cache {
  readonly #parts: CacheParts
  #closed = false
  readonly #direct: DirectOps

  /**
   * Assembled by {@link createCache}; create caches with it, never with `new`.
   *
   * @internal
   */
  constructor(parts: CacheParts) {
    this.#parts = parts
    this.#direct = new DirectOps(parts)
  }

  /**
   * Return the cached value for `key`, or compute it with `fn` once across every instance that
   * shares the store: concurrent callers here share one computation, callers elsewhere wait for
   * its result. Errors thrown by `fn` reach the callers unchanged and are not cached. Bound, so
   * `const { cacheFn } = cache` works.
   *
   * @example
   * const table = await cache.cacheFn(`table:${league}`, () => computeTable(league), {
   *   ttl: '30s', namespace: 'tables', staleWhileRevalidate: '1m',
   * })
   */
  readonly cacheFn = <T>(
    key: string,
    fn: CacheFnFunction<T>,
    options: CacheFnOptions<T> = {},
  ): Promise<T> => {
    if (this.#closed) return Promise.reject(new CacheClosedError())
    return this.#parts.fn.value(key, fn, options)
  }

  /**
   * Like `cacheFn`, with how the value was obtained: `hit` (stored, possibly just computed by
   * another instance), `stale` or `miss` (computed here), plus its creation and freshness times.
   * Bound.
   */
  readonly cacheFnResult = <T>(
    key: string,
    fn: CacheFnFunction<T>,
    options: CacheFnOptions<T> = {},
  ): Promise<CacheFnResult<T>> => {
    if (this.#closed) return Promise.reject(new CacheClosedError())
    return this.#parts.fn.run(key, fn, options)
  }

  /** The cache's `defaultTtl` in milliseconds: how long a value is fresh when its call says nothing. */
  get defaultTtlMs(): number {
    return this.#parts.options.defaultTtlMs
  }

  /** The fresh value of a key, or undefined on a miss (or when the store is unavailable). */
  get<T = unknown>(key: string, options: KeyOptions = {}): Promise<T | undefined> {
    return this.getEntry<T>(key, options).then((entry) => entry?.value)
  }

  /**
   * The fresh entry of a key with its metadata (created, fresh until, tags), or undefined. Use it
   * when `undefined` itself may be a cached value. With `{ stale: true }`, also an entry past
   * its freshness but within its stale windows.
   */
  getEntry<T = unknown>(key: string, options: EntryOptions = {}): Promise<Entry<T> | undefined> {
    try {
      this.#assertOpen()
      return this.#direct.getEntry<T>(key, options)
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
  }

  /**
   * The fresh entry of a key from the in-process L1 tier only, synchronously: undefined when L1
   * is off or does not hold a fresh copy (then ask `getEntry`). For hot paths that can answer
   * without waiting, such as `cacheRoute`.
   */
  getLocal<T = unknown>(key: string, options: LocalOptions = {}): Entry<T> | undefined {
    this.#assertOpen()
    return this.#direct.getLocal<T>(key, options)
  }

  /** Store a value. Resolves once written, or once the write failed open. */
  async set<T>(key: string, value: T, options: SetOptions = {}): Promise<void> {
    this.#assertOpen()
    await this.#direct.set(key, value, options)
  }

  /** Delete a key; resolves to whether it existed. */
  async delete(key: string, options: KeyOptions = {}): Promise<boolean> {
    this.#assertOpen()
    return this.#direct.delete(key, options)
  }

  /** Read many keys of one namespace in one round trip; misses are undefined. */
  async getMany<T = unknown>(
    keys: readonly string[],
    options: KeyOptions = {},
  ): Promise<(T | undefined)[]> {
    this.#assertOpen()
    return this.#direct.getMany<T>(keys, options)
  }

  /** Write many entries of one namespace in one round trip. */
  async setMany<T>(entries: readonly SetManyEntry<T>[], options: SetOptions = {}): Promise<void> {
    this.#assertOpen()
    await this.#direct.setMany(entries, options)
  }

  /**
   * Invalidate by key, namespace, tags or key pattern, from any instance. Resolves to the number
   * of entries removed, once the invalidation took effect; rejects with
   * `InvalidationError` (`code` `E_INVALIDATE`, the store's failure as `cause`) when it
   * could not. It never fails open, unlike reads and writes: it is attempted even while the
   * breaker is open, and a store that fails or does not answer within `commandTimeout` makes it
   * reject. Retrying is always safe.
   *
   * - `{ key }`: one atomic script deletes the entry, takes a new fence and announces it to every
   *   instance. On rejection it may still have taken effect (a lost reply).
   * - `{ namespace }`, `{ pattern }`: SCAN in batches, each entry deleted with a new fence, then
   *   one notice to every instance. On rejection the entries deleted before the failure stay
   *   deleted, the others stay, and other instances may keep their L1 copies (up to `l1.maxTtl`)
   *   until a retry succeeds.
   * - `{ tags }`: members are taken from each tag set in batches of 500 and every listed entry
   *   is deleted with a new fence; then one notice makes every instance drop its L1 copies
   *   carrying the tags. On rejection the entries deleted before the failure stay deleted, the
   *   members taken stay pending beside their tag set (a retry, or any later invalidation of the
   *   tag, takes them first), and other instances may keep their L1 copies until one succeeds.
   *
   * Once it resolved: a computation that started before it (here or on any instance) cannot
   * store its result (key, namespace and pattern through the fence; tags because a computation
   * joins the sets of its `tags` option before its function runs, so the invalidation deletes
   * its key with a newer fence; tags set by the function itself join when the value is written),
   * and no later call on this instance returns data from before it (its L1 copies and its
   * in-flight calls for the target, every in-flight call for tags, are dropped, also when it
   * rejects). Other instances drop their L1 copies on the notice; one whose
   * subscription was down drops its whole L1 tier when the subscription is back.
   */
  invalidate(target: InvalidateTarget): Promise<number> {
    this.#assertOpen()
    return this.#parts.invalidator.invalidate(target)
  }

  /**
   * A method decorator caching an async method through `cacheFn`, keyed by its arguments.
   * Bound, so `const { cached } = cache` works.
   *
   * @example
   * const { cached } = cache
   * class Predictions {
   *   @cached({ ttl: '5m', namespace: 'predictions' })
   *   async forMatch(id: number): Promise<Prediction> { return computePrediction(id) }
   * }
   */
  readonly cached = <This, Args extends unknown[], R>(
    options: CachedOptions<Args, R> = {},
  ): MethodDecorator<This, Args, R> => cached<This, Args, R>(this, options)

  /**
   * Resolves once the cache is connected and subscribed to its notification channel, so that
   * nothing another instance announces is missed. Calls work before that (failing open); await
   * it at start-up when that matters (tests, L1 coherence). Never rejects.
   */
  async ready(): Promise<void> {
    await this.#parts.bus.ready
  }

  /**
   * Counters and latency histograms since creation or the last `resetStats()`, as plain JSON:
   * totals (`hits`, `misses`, `hitRatio`, ...) with the same fields per namespace under
   * `namespaces`. All zeros, with `enabled: false`, when created with `stats: false`.
   */
  stats(): StatsSnapshot {
    return this.#parts.stats.snapshot()
  }

  /** Zero every counter and histogram (`since` becomes now). */
  resetStats(): void {
    this.#parts.stats.reset()
  }

  /**
   * Probe the store (PING), the pub/sub subscriber, each lock node (and the quorum) and read the
   * breaker, with short deadlines. The report is reused for `health.interval`, so calling this
   * on every request costs Redis at most one probe per interval. Never rejects; after `close()`
   * it reports `down`.
   */
  health(): Promise<HealthReport> {
    return this.#parts.health.check()
  }

  /** Subscribe to a cache event. */
  on<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): this {
    this.#parts.events.on(event, listener)
    return this
  }

  /**
   * Emit a cache event, for layers built on the cache (such as `cacheRoute`) so that their
   * hits, bypasses and skips are counted with everything else.
   */
  emit<E extends CacheEventName>(event: E, payload: CacheEventMap[E]): void {
    this.#parts.events.emit(event, payload)
  }

  /** Unsubscribe from a cache event. */
  off<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): this {
    this.#parts.events.off(event, listener)
    return this
  }

  /** Close every connection, subscription and timer the cache opened. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await closeParts(this.#parts)
  }

  #assertOpen(): void {
    if (this.#closed) throw new CacheClosedError()
  }
}
