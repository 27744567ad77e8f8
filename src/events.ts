import { EventEmitter } from 'node:events'

/**
 * Typed `area:action` events: the only way the core reports what it does. Stats, health, logs
 * and user code are all subscribers.
 */

/** Where a value was served from. */
export type HitTier = 'l1' | 'store'

/** Why a result or response was not stored. */
export type SkipReason =
  | 'predicate'
  | 'method'
  | 'set-cookie'
  | 'no-store'
  | 'private'
  | 'authorization'
  | 'vary-star'
  | 'partial-content'
  | 'status'
  | 'too-large'
  | 'unless'
  | 'aborted'
  | 'error'
  | 'invalidated'

/** Which component an infrastructure error came from. */
export type ErrorSource = 'store' | 'lock' | 'bus' | 'codec'

/** The payload of every event, by name. */
export interface CacheEventMap {
  /** A fresh value was served. */
  'cache:hit': { namespace: string; tier: HitTier; durationMs: number }
  /** A stale value was served (stale-while-revalidate, stale-if-error, soft timeout). */
  'cache:stale': { namespace: string; reason: 'revalidate' | 'error' | 'timeout' }
  /** No usable value was found. */
  'cache:miss': { namespace: string; durationMs: number }
  /** A value was written. */
  'cache:set': { namespace: string; bytes: number }
  /** A result or response was deliberately not stored. */
  'cache:skip': { namespace: string; reason: SkipReason }
  /** The cache was bypassed (store down, request not cacheable). */
  'cache:bypass': { namespace: string; reason: string }
  /** Entries were invalidated. */
  'cache:invalidate': {
    namespace?: string
    by: 'key' | 'namespace' | 'tags' | 'pattern'
    removed: number
  }
  /** A stored entry could not be decoded; it was deleted and treated as a miss. */
  'cache:corrupt': { namespace: string; error: Error }
  /** The user's function ran (in this process). */
  'fn:run': {
    namespace: string
    durationMs: number
    ok: boolean
    /** Why it ran here: lock won, takeover after a holder died, lock/store down, wait timeout, or a "pass". */
    reason: 'lock' | 'takeover' | 'fallback' | 'wait-timeout' | 'pass'
  }
  /** A call shared the in-process flight of another call for the same key. */
  'fn:coalesced': { namespace: string }
  /** A caller waited for another instance's computation. */
  'fn:wait': { namespace: string; durationMs: number; outcome: 'value' | 'error' | 'timeout' }
  /** A waiting caller was woken by a bus message or by its safety-net poll. */
  'fn:woken': { namespace: string; by: 'message' | 'poll' }
  /** A soft or hard timeout fired. */
  'fn:timeout': { namespace: string; kind: 'soft' | 'hard' }
  /** The distributed lock was acquired. */
  'lock:acquired': { namespace: string; durationMs: number }
  /** Another instance holds the lock. */
  'lock:contended': { namespace: string }
  /** A waiter took over after the holder's lock expired. */
  'lock:takeover': { namespace: string }
  /** The lock could not be extended while the function ran. */
  'lock:lost': { namespace: string }
  /** A write was rejected because a newer fence exists (zombie holder, later write). */
  'fence:rejected': { namespace: string }
  /** An infrastructure error occurred and was failed open. */
  error: { source: ErrorSource; operation: string; error: Error }
  /** Entries left the L1 tier because another instance changed them (or LRU pressure). */
  'l1:evict': { namespace?: string; reason: 'remote' | 'lru'; count: number }
  /** The store's circuit breaker changed state. */
  'breaker:state': { state: BreakerState; previous: BreakerState }
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
  emit(event: string, payload: unknown): unknown
  on(event: string, listener: (...args: unknown[]) => void): unknown
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
