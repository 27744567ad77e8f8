import type { StoredEntry } from '../entries/entry-codec.js'
import { InvalidOptionError } from '../errors.js'
import { follow } from './follower.js'
import { lead, runDirect } from './leader.js'
import { planCall } from './plan.js'
import {
  type CacheFnFunction,
  type CacheFnOptions,
  type FnPlan,
  type ResolvedFnDefaults,
} from '../options/fn-options.js'
import { fromEntry, settle, type CacheFnResult, type FnDeps } from './result.js'
import type { Keyspace } from '../entries/keyspace.js'
import type { LockHandle } from '../lock/lock.js'
import type { Flight } from './single-flight.js'
import { abortable } from './run-fn.js'

/** What the engine needs besides FnDeps. */
export interface FnCacheSettings {
  readonly keyspace: Keyspace
  readonly namespace: string
  readonly defaults: ResolvedFnDefaults
}

/**
 * The cacheFn engine. A hit costs one store read (none from L1). A miss is computed once
 * across every instance sharing the store: concurrent calls in this process share one flight;
 * the flight takes the distributed lock once (no retry loop); the winner computes and stores
 * under a fence, the others wait for its notice. See DESIGN.md, "How a cacheFn miss flows".
 */
export class FnCache {
  readonly #d: FnDeps
  readonly #s: FnCacheSettings

  constructor(deps: FnDeps, settings: FnCacheSettings) {
    this.#d = deps
    this.#s = settings
  }

  /** Answer one call. */
  run<T>(
    key: string,
    fn: CacheFnFunction<T>,
    options: CacheFnOptions<T> = {},
  ): Promise<CacheFnResult<T>> {
    const joined = this.#joinFast<T>(key, options)
    if (joined !== undefined) return joined.promise
    return this.#start(key, fn, options)
  }

  /** Answer one call with the value alone (what `cacheFn` returns). */
  value<T>(key: string, fn: CacheFnFunction<T>, options: CacheFnOptions<T> = {}): Promise<T> {
    const joined = this.#joinFast<T>(key, options)
    // Every caller of one flight shares one value promise: joining allocates nothing.
    if (joined !== undefined) return (joined.derived ??= joined.promise.then(valueOf)) as Promise<T>
    return this.#start(key, fn, options).then(valueOf)
  }

  /**
   * A caller joining a running flight needs nothing else: no option parsing, no keys, no clock.
   * (Callers with a signal take the full path: each needs its own abortable promise.)
   */
  #joinFast<T>(key: string, options: CacheFnOptions<T>): Flight<CacheFnResult<T>> | undefined {
    if (typeof key !== 'string' || typeof options !== 'object' || options === null) return undefined
    if (options.signal !== undefined) return undefined
    const flight = this.#d.flights.get<CacheFnResult<T>>(
      options.namespace ?? this.#s.namespace,
      key,
    )
    if (flight !== undefined) flight.joined++
    return flight
  }

  #start<T>(
    key: string,
    fn: CacheFnFunction<T>,
    options: CacheFnOptions<T>,
  ): Promise<CacheFnResult<T>> {
    let plan: FnPlan<T>
    try {
      if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'must be a function')
      plan = planCall(key, options, this.#s.defaults, this.#s)
    } catch (error) {
      return Promise.reject(error)
    }
    const started = performance.now()
    const local = this.#d.entries.fromL1<T>(plan.keys, Date.now(), plan.immutable)
    if (local !== undefined) {
      const served = this.#serve(plan, fn, local, started)
      if (served !== undefined) return abortable(served, plan.signal)
    }
    const { flight } = this.#d.flights.run(
      plan.namespace,
      key,
      () => this.#lookup(plan, fn, started),
      (done, result) => this.#reportJoiners(plan.namespace, done, result, started),
    )
    return abortable(flight.promise, plan.signal)
  }

  /**
   * Callers that shared a flight are reported once, when it settles: as coalesced, and, when
   * the flight was a hit, as hits too (they were answered from the cache), with the flight's
   * duration as their latency.
   */
  #reportJoiners<T>(
    namespace: string,
    flight: Flight<CacheFnResult<T>>,
    result: CacheFnResult<T> | undefined,
    started: number,
  ): void {
    const count = flight.joined
    if (count === 0) return
    this.#d.events.emit('fn:coalesced', { namespace, count })
    if (result?.status !== 'hit') return
    const durationMs = performance.now() - started
    this.#d.events.emit('cache:hit', { namespace, tier: result.tier ?? 'store', durationMs, count })
  }

  async #lookup<T>(
    plan: FnPlan<T>,
    fn: CacheFnFunction<T>,
    started: number,
  ): Promise<CacheFnResult<T>> {
    const entry = await this.#d.entries.read<T>(plan.namespace, plan.keys, plan.immutable)
    if (entry !== undefined) {
      const served = this.#serve(plan, fn, entry, started)
      if (served !== undefined) return served
    }
    this.#d.events.emit('cache:miss', {
      namespace: plan.namespace,
      durationMs: performance.now() - started,
    })
    return this.#compute(plan, fn, entry?.kind === 'value' ? entry : undefined)
  }

  /** Serve an entry when it can be served: fresh, stale within SWR, a cached failure or a pass. */
  #serve<T>(
    plan: FnPlan<T>,
    fn: CacheFnFunction<T>,
    entry: StoredEntry<T>,
    started: number,
  ): Promise<CacheFnResult<T>> | undefined {
    const now = Date.now()
    const found = settle(entry, now)
    if (found?.kind === 'value') {
      const durationMs = performance.now() - started
      this.#d.events.emit('cache:hit', { namespace: plan.namespace, tier: entry.tier, durationMs })
      if (this.#eager(plan, entry, now)) this.#refresh(plan, fn, entry)
      return Promise.resolve(fromEntry(found.entry, 'hit'))
    }
    if (found?.kind === 'error') return Promise.reject(found.error)
    if (found?.kind === 'pass') return this.#pass(plan, () => runDirect(this.#d, plan, fn))
    if (entry.kind === 'value' && plan.swrMs > 0 && now < entry.freshUntil + plan.swrMs) {
      this.#d.events.emit('cache:stale', { namespace: plan.namespace, reason: 'revalidate' })
      this.#refresh(plan, fn, entry)
      return Promise.resolve(fromEntry(entry, 'stale'))
    }
    return undefined
  }

  /** Take the lock once: compute when won, wait for the holder when lost, run directly when down. */
  async #compute<T>(
    plan: FnPlan<T>,
    fn: CacheFnFunction<T>,
    stale: StoredEntry<T> | undefined,
  ): Promise<CacheFnResult<T>> {
    const started = performance.now()
    let handle: LockHandle | undefined
    try {
      handle = await this.#d.lock.tryAcquire(plan.keys.lock, plan.lockTtlMs)
      this.#d.log.up('lock')
    } catch (error) {
      this.#d.log.down('lock', error as Error)
      this.#d.events.emit('error', { source: 'lock', operation: 'acquire', error: error as Error })
      return lead(this.#d, plan, fn, stale, undefined, 'fallback')
    }
    if (handle !== undefined) {
      const durationMs = performance.now() - started
      this.#d.events.emit('lock:acquired', { namespace: plan.namespace, durationMs })
      return lead(this.#d, plan, fn, stale, handle, 'lock')
    }
    this.#d.events.emit('lock:contended', { namespace: plan.namespace })
    return follow(this.#d, plan, stale, {
      lead: (taken) => lead(this.#d, plan, fn, stale, taken, 'takeover'),
      fallback: () => lead(this.#d, plan, fn, stale, undefined, 'wait-timeout'),
      direct: () => runDirect(this.#d, plan, fn),
    })
  }

  /** Whether a fresh hit is old enough for an eager background refresh. */
  #eager<T>(plan: FnPlan<T>, entry: StoredEntry<T>, now: number): boolean {
    if (plan.eagerRefresh === undefined) return false
    const lifetime = entry.freshUntil - entry.createdAt
    return now >= entry.createdAt + lifetime * plan.eagerRefresh
  }

  /**
   * Refresh in the background, once per key in this process and once across instances: the
   * lock is tried once and a refresh already running elsewhere is left alone.
   */
  #refresh<T>(plan: FnPlan<T>, fn: CacheFnFunction<T>, stale: StoredEntry<T>): void {
    const { flight } = this.#d.refreshes.run('', plan.keys.value, async () => {
      let handle: LockHandle | undefined
      const started = performance.now()
      try {
        handle = await this.#d.lock.tryAcquire(plan.keys.lock, plan.lockTtlMs)
      } catch (error) {
        this.#d.events.emit('error', {
          source: 'lock',
          operation: 'acquire',
          error: error as Error,
        })
        return lead(this.#d, plan, fn, stale, undefined, 'fallback')
      }
      if (handle === undefined) {
        this.#d.events.emit('lock:contended', { namespace: plan.namespace })
        return undefined
      }
      const durationMs = performance.now() - started
      this.#d.events.emit('lock:acquired', { namespace: plan.namespace, durationMs })
      return lead(this.#d, plan, fn, stale, handle, 'lock')
    })
    // Failures are already reported as fn:run events; callers were served the stale value.
    flight.promise.catch(() => undefined)
  }

  /** Keys marked hit-for-pass run directly, still once per process at a time. */
  #pass<T>(plan: FnPlan<T>, work: () => Promise<CacheFnResult<T>>): Promise<CacheFnResult<T>> {
    return this.#d.passes.run('', plan.keys.value, work).flight.promise
  }
}

function valueOf<T>(result: CacheFnResult<T>): T {
  return result.value
}
