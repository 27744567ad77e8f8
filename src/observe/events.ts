import { EventEmitter } from 'node:events'

/**
 * Typed `area:action` events: the only way the core reports what it does. Stats, health, logs
 * and user code are all subscribers.
 */

/** Where a value was served from. */
export type HitTier = 'l1' | 'store'

/**
 * Why a result was not stored. The core's own reason is `predicate` (`shouldCache` returned
 * false, or `ctx.skip()` was called without a reason); callers and adapters name their own
 * (cacheRoute's reasons are its `RouteSkipReason`). Stats count skips by reason.
 */
export type SkipReason = 'predicate' | (string & Record<never, never>)

/** Which component an infrastructure error came from. */
export type ErrorSource = 'store' | 'lock' | 'bus' | 'codec'

/** The payload of every event, by name. */
export interface CacheEventMap {
  /** A fresh value was served. */
  'cache:hit': {
    /** Namespace of the key (or route). */
    namespace: string
    /** Where it was read from. */
    tier: HitTier
    /** Duration of the lookup, in ms. */
    durationMs: number
    /**
     * How many calls this event stands for: callers that shared one flight are reported
     * together when it settles. @default 1
     */
    count?: number
  }
  /** A stale value was served (stale-while-revalidate, stale-if-error, soft timeout). */
  'cache:stale': {
    /** Namespace of the key (or route). */
    namespace: string
    /**
     * Why stale was served: refreshing in the background, the function failed, it was slow, or
     * the client accepted it (cacheRoute: a request's `max-stale`, or a stale response answering
     * `only-if-cached`/`no-store` where any request would have been served it).
     */
    reason: 'revalidate' | 'error' | 'timeout' | 'client'
  }
  /** No usable value was found. */
  'cache:miss': {
    /** Namespace of the key (or route). */
    namespace: string
    /** Duration of the lookup, in ms. */
    durationMs: number
  }
  /** A value was written. */
  'cache:set': {
    /** Namespace of the key (or route). */
    namespace: string
    /** Size of the encoded entry, in bytes. */
    bytes: number
  }
  /** A result or response was deliberately not stored. */
  'cache:skip': {
    /** Namespace of the key (or route). */
    namespace: string
    /** Why it was not stored. */
    reason: SkipReason
  }
  /** The cache was bypassed (store down, request not cacheable). */
  'cache:bypass': {
    /** Namespace of the key (or route). */
    namespace: string
    /** Why the cache was bypassed, e.g. `method`, `authorization`, `client` or `error`. */
    reason: string
  }
  /** Entries were invalidated. */
  'cache:invalidate': {
    /** The namespace invalidated, when the invalidation had one (not for tags). */
    namespace?: string
    /** Which kind of `invalidate` target it was. */
    by: 'key' | 'namespace' | 'tags' | 'pattern'
    /** How many entries were removed. */
    removed: number
  }
  /** A stored entry could not be decoded; it was deleted and treated as a miss. */
  'cache:corrupt': {
    /** Namespace of the key (or route). */
    namespace: string
    /** The decoding error (a CorruptEntryError). */
    error: Error
  }
  /** The user's function ran (in this process). */
  'fn:run': {
    /** Namespace of the key (or route). */
    namespace: string
    /** How long it ran, in ms. */
    durationMs: number
    /** False when it threw or timed out. */
    ok: boolean
    /** Why it ran here: lock won, takeover after a holder died, lock/store down, wait timeout, or a "pass". */
    reason: 'lock' | 'takeover' | 'fallback' | 'wait-timeout' | 'pass'
  }
  /** A call shared the in-process flight of another call for the same key. */
  'fn:coalesced': {
    /** Namespace of the key (or route). */
    namespace: string
    /** How many calls shared one flight (reported once, when it settles). @default 1 */
    count?: number
  }
  /** A caller waited for another instance's computation. */
  'fn:wait': {
    /** Namespace of the key (or route). */
    namespace: string
    /** How long it waited, in ms. */
    durationMs: number
    /** How the wait ended: a value arrived, the function failed, or `waitTimeout` passed. */
    outcome: 'value' | 'error' | 'timeout'
  }
  /** A waiting caller was woken by a bus message or by its safety-net poll. */
  'fn:woken': {
    /** Namespace of the key (or route). */
    namespace: string
    /** What woke it. */
    by: 'message' | 'poll'
  }
  /** A soft or hard timeout fired. */
  'fn:timeout': {
    /** Namespace of the key (or route). */
    namespace: string
    /** `soft`: stale served, the function goes on; `hard`: the call rejected. */
    kind: 'soft' | 'hard'
  }
  /** The distributed lock was acquired. */
  'lock:acquired': {
    /** Namespace of the key (or route). */
    namespace: string
    /** Duration of the acquisition, in ms. */
    durationMs: number
  }
  /** Another instance holds the lock. */
  'lock:contended': {
    /** Namespace of the key (or route). */
    namespace: string
  }
  /** A waiter took over after the holder's lock expired. */
  'lock:takeover': {
    /** Namespace of the key (or route). */
    namespace: string
  }
  /** The lock could not be extended while the function ran. */
  'lock:lost': {
    /** Namespace of the key (or route). */
    namespace: string
  }
  /** A write was rejected because a newer fence exists (zombie holder, later write). */
  'fence:rejected': {
    /** Namespace of the key (or route). */
    namespace: string
  }
  /** An infrastructure error occurred and was failed open. */
  error: {
    /** The component it came from. */
    source: ErrorSource
    /** The operation that failed, e.g. `get` or `acquire`. */
    operation: string
    /** The error (usually a HerdlockError subclass). */
    error: Error
  }
  /** Entries left the L1 tier because another instance changed them (or LRU pressure). */
  'l1:evict': {
    /** The namespace, when the eviction concerned one. */
    namespace?: string
    /**
     * `remote`: another instance changed or invalidated them; `lru`: the memory bound;
     * `unsubscribed`: the bus's subscription was lost (notices could be missed);
     * `resubscribed`: it came (back) up (notices sent meanwhile were missed).
     */
    reason: 'remote' | 'lru' | 'unsubscribed' | 'resubscribed'
    /** How many entries left. */
    count: number
  }
  /** The store's circuit breaker changed state. */
  'breaker:state': {
    /** The state entered. */
    state: BreakerState
    /** The state left. */
    previous: BreakerState
    /** The shard whose breaker it is (a Redis Cluster master); absent: the store-wide one. */
    shard?: string
  }
}

/** Circuit-breaker states: closed = healthy, open = skipping the store, half-open = probing. */
export type BreakerState = 'closed' | 'open' | 'half-open'

/** The name of a cache event. */
export type CacheEventName = keyof CacheEventMap

/** A listener for one cache event. */
export type CacheEventListener<E extends CacheEventName> = (payload: CacheEventMap[E]) => void

/**
 * Anything that can emit events: node's EventEmitter, or a compatible object injected through
 * the `emitter` option.
 */
export interface Emitter {
  /** Call the listeners of `event` with `payload`. */
  emit(event: string, payload: unknown): unknown
  /** Add a listener for `event`. */
  on(event: string, listener: (...args: unknown[]) => void): unknown
  /** Remove a listener added with `on`. */
  off(event: string, listener: (...args: unknown[]) => void): unknown
}

/** The typed façade the core emits through. */
export class CacheEvents {
  readonly #emitter: Emitter

  constructor(emitter: Emitter = new EventEmitter()) {
    this.#emitter = emitter
    if (emitter instanceof EventEmitter) {
      // Stats, health and users may all listen; more than 10 listeners is expected, not a leak.
      emitter.setMaxListeners(0)
      // An 'error' event with no listener would crash the process; infrastructure errors are
      // reported, never thrown, so keep a listener attached at all times.
      emitter.on('error', noop)
    }
  }

  /** Emit one event. */
  emit<E extends CacheEventName>(event: E, payload: CacheEventMap[E]): void {
    this.#emitter.emit(event, payload)
  }

  /** Subscribe to one event. */
  on<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): void {
    this.#emitter.on(event, listener as (...args: unknown[]) => void)
  }

  /** Unsubscribe. */
  off<E extends CacheEventName>(event: E, listener: CacheEventListener<E>): void {
    this.#emitter.off(event, listener as (...args: unknown[]) => void)
  }
}

function noop(): void {}
