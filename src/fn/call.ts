import type { StoredEntry } from '../entries/entry-codec.js'
import type { LockHandle } from '../lock/lock.js'
import type { CacheFnFunction, FnPlan } from '../options/fn-options.js'
import type { FnDeps } from './deps.js'
import type { RunReason } from './result.js'

/**
 * What follows one try of a key's lock. The chosen branch runs synchronously right after its
 * event is emitted: whoever awaits `lock:acquired` finds the holder already re-checking (its
 * fence requested), and whoever awaits `lock:contended` finds the waiter registered.
 */
export interface LockOutcomes<R> {
  /** The lock was taken: compute as its holder. */
  acquired(handle: LockHandle): R
  /** Someone else holds it. */
  contended(): R
  /** The lock nodes failed (reported as an `error` event). */
  failed(): R
}

/**
 * Why the lock is tried. `compute`: a caller missed and wants to compute; `refresh`: a
 * background refresh of a stale or eagerly refreshed value; `takeover`: a waiter found the
 * holder's lock expired.
 */
export type LockPurpose = 'compute' | 'refresh' | 'takeover'

/**
 * One cacheFn call past the fast path (a caller joining a running flight never builds one):
 * the engine's dependencies, the call's resolved plan and its function. The engine, the
 * leader, the follower and store-result all take this one object instead of threading
 * `(deps, plan, fn, …)` through their parameters.
 */
export class FnCall<T> {
  /** `performance.now()` when the call started: hit and miss latencies count from here. */
  readonly started = performance.now()

  constructor(
    /** The engine's dependencies (store, lock, bus, events, flights). */
    readonly deps: FnDeps,
    /** The call's options, resolved. */
    readonly plan: FnPlan<T>,
    /** The user's function. */
    readonly fn: CacheFnFunction<T>,
  ) {}

  /** The call's namespace (every event carries it). */
  get namespace(): string {
    return this.plan.namespace
  }

  /**
   * Try the key's lock once (never a retry loop), report the attempt and go on with the
   * matching outcome: `lock:acquired` (`lock:takeover` for a takeover), `lock:contended` (not
   * for a takeover: a waiter that finds the lock taken again just keeps waiting), or an `error`
   * event when the lock nodes fail.
   */
  async acquireOnce<R>(purpose: LockPurpose, then: LockOutcomes<R | Promise<R>>): Promise<R> {
    const { lock, log, events } = this.deps
    const started = performance.now()
    let handle: LockHandle | undefined
    try {
      handle = await lock.tryAcquire(this.plan.keys.lock, this.plan.lockTtlMs)
    } catch (error) {
      // The up/down log follows the callers' own attempts; background ones only emit events.
      if (purpose === 'compute') log.down('lock', error as Error)
      events.emit('error', { source: 'lock', operation: 'acquire', error: error as Error })
      return then.failed()
    }
    if (purpose === 'compute') log.up('lock')
    const namespace = this.namespace
    if (handle === undefined) {
      if (purpose !== 'takeover') events.emit('lock:contended', { namespace })
      return then.contended()
    }
    if (purpose === 'takeover') events.emit('lock:takeover', { namespace })
    else events.emit('lock:acquired', { namespace, durationMs: performance.now() - started })
    return then.acquired(handle)
  }

  /** Report one run of the function (`fn:run`), timed from `started`. */
  reportRun(started: number, ok: boolean, reason: RunReason): void {
    const durationMs = performance.now() - started
    this.deps.events.emit('fn:run', { namespace: this.namespace, durationMs, ok, reason })
  }
}

/**
 * One computation of the function by this process (see leader.ts), and what its result is
 * stored and announced with (see store-result.ts).
 */
export interface Computation<T> {
  readonly call: FnCall<T>
  /** The entry being replaced, if any: the function sees its value, stale-if-error serves it. */
  readonly stale: StoredEntry<T> | undefined
  /** The lock when held: extended while the function runs, released after the write. */
  readonly handle: LockHandle | undefined
  /** Why the function runs here (reported in `fn:run`). */
  readonly reason: RunReason
  /**
   * The fence the re-check took (undefined when the store could not be reached): every write
   * and marker of this computation carries it, and the store refuses it once a newer fence
   * exists (a later computation, or an invalidation).
   */
  readonly fence: number | undefined
  /** True when nothing is shared: the re-check failed, or the lock was unavailable. */
  readonly degraded: boolean
  /**
   * When the computation's tag registrations (its plan's `tags`) were last sent, epoch ms: taken
   * by the re-check, renewed while the function runs (leader.ts, `keepRegistered`).
   */
  readonly registration: { at: number }
  /**
   * Set when storing the result failed (the store did not answer): the lock is then released
   * without waiting, since no value has to land before it, and the same store is likely to keep
   * the release waiting its full command timeout.
   */
  storeFailed?: boolean
}
