import type { StoredEntry } from '../entries/entry-codec.js'
import type { InvalidatedScope } from '../entries/invalidation.js'
import type { Keyspace } from '../entries/keyspace.js'
import { InvalidOptionError } from '../errors.js'
import type { CacheFnFunction, CacheFnOptions, ResolvedFnDefaults } from '../options/fn-options.js'
import { FnCall } from './call.js'
import type { FnDeps } from './deps.js'
import { follow } from './follower.js'
import { lead, runDirect } from './leader.js'
import { planCall } from './plan.js'
import { fromEntry, type CacheFnResult } from './result.js'
import { abortable } from './run-fn.js'
import { settle } from './settle.js'
import type { Flight } from './single-flight.js'

/** What the engine needs besides FnDeps. */
export interface FnEngineSettings {
  readonly keyspace: Keyspace
  readonly namespace: string
  readonly defaults: ResolvedFnDefaults
}

/**
 * The cacheFn engine. A hit costs one store read (none from L1). A miss is computed once
 * across every instance sharing the store: concurrent calls in this process share one flight;
 * the flight takes the distributed lock once (no retry loop); the winner computes and stores
 * under a fence (leader.ts), the others wait for its notice (follower.ts). See ARCHITECTURE.md,
 * "How a cacheFn miss flows".
 */
export class FnEngine {
  readonly #deps: FnDeps
  readonly #settings: FnEngineSettings

  constructor(deps: FnDeps, settings: FnEngineSettings) {
    this.#deps = deps
    this.#settings = settings
  }

  /**
   * Forget the flights an invalidation covered (called once it settled): a call made after
   * `invalidate` resolved starts afresh instead of joining a flight from before it, which may
   * carry the old value (defect 5 of issue 12). Those flights run on; their writes are refused
   * by the invalidation's fence. Refreshes and hit-for-pass runs are keyed by store key: a key
   * detaches its own, anything wider all of them.
   */
  forget(scope: InvalidatedScope): void {
    const { flights, forced, refreshes, passes } = this.#deps
    if (scope.kind === 'key') {
      flights.detach(scope.namespace, scope.key)
      forced.detach(scope.namespace, scope.key)
      const { value } = this.#settings.keyspace.entry(scope.namespace, scope.key)
      refreshes.detach('', value)
      passes.detach('', value)
      return
    }
    flights.detach(scope.kind === 'namespace' ? scope.namespace : undefined)
    forced.detach(scope.kind === 'namespace' ? scope.namespace : undefined)
    refreshes.detach()
    passes.detach()
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
    if (options.signal !== undefined || options.forceFresh === true) return undefined
    const namespace = options.namespace ?? this.#settings.namespace
    const flight = this.#deps.flights.get<CacheFnResult<T>>(namespace, key)
    if (flight !== undefined) flight.joined++
    return flight
  }

  /** Validate the call, serve it from L1 when possible, else start (or join) its flight. */
  #start<T>(
    key: string,
    fn: CacheFnFunction<T>,
    options: CacheFnOptions<T>,
  ): Promise<CacheFnResult<T>> {
    let call: FnCall<T>
    try {
      if (typeof fn !== 'function') throw new InvalidOptionError('fn', 'must be a function')
      call = new FnCall(
        this.#deps,
        planCall(key, options, this.#settings.defaults, this.#settings),
        fn,
      )
    } catch (error) {
      return Promise.reject(error)
    }
    const { plan } = call
    const local = plan.forceFresh
      ? undefined
      : this.#deps.entries.fromL1<T>(plan.keys, Date.now(), plan.immutable)
    if (local !== undefined) {
      const served = this.#serve(call, local)
      if (served !== undefined) return abortable(served, plan.signal)
    }
    // Forced calls share a flight with each other, never with a lookup that may find the old value.
    const flights = plan.forceFresh ? this.#deps.forced : this.#deps.flights
    const { flight } = flights.run(
      plan.namespace,
      key,
      () => this.#lookup(call),
      (done, result) => this.#reportJoiners(call, done, result),
    )
    return abortable(flight.promise, plan.signal)
  }

  /**
   * Callers that shared a flight are reported once, when it settles: as coalesced, and, when
   * the flight was a hit, as hits too (they were answered from the cache), with the flight's
   * duration as their latency.
   */
  #reportJoiners<T>(
    call: FnCall<T>,
    flight: Flight<CacheFnResult<T>>,
    result: CacheFnResult<T> | undefined,
  ): void {
    const count = flight.joined
    if (count === 0) return
    const namespace = call.namespace
    this.#deps.events.emit('fn:coalesced', { namespace, count })
    if (result?.status !== 'hit') return
    const durationMs = performance.now() - call.started
    this.#deps.events.emit('cache:hit', {
      namespace,
      tier: result.tier ?? 'store',
      durationMs,
      count,
    })
  }

  /** The flight's work: read the store, serve what can be served, else compute. */
  async #lookup<T>(call: FnCall<T>): Promise<CacheFnResult<T>> {
    const { plan } = call
    const entry = await this.#deps.entries.readChecked<T>(plan.namespace, plan.keys, plan.immutable)
    // The store cannot be reached: nobody can share a result, so waiting for the lock's holder
    // would only serialize instances (defect 8 of issue 12). Run now, without lock or store.
    if (entry === 'failed') return lead(call, undefined, undefined, 'fallback', true)
    // Forced: whatever is stored (a value, a marker) is only what the computation replaces.
    if (plan.forceFresh) return this.#compute(call, entry)
    if (entry !== undefined) {
      const served = this.#serve(call, entry)
      if (served !== undefined) return served
    }
    const durationMs = performance.now() - call.started
    this.#deps.events.emit('cache:miss', { namespace: plan.namespace, durationMs })
    return this.#compute(call, entry?.kind === 'value' ? entry : undefined)
  }

  /** Serve an entry when it can be served: fresh, stale within SWR, a cached failure or a pass. */
  #serve<T>(call: FnCall<T>, entry: StoredEntry<T>): Promise<CacheFnResult<T>> | undefined {
    const { plan } = call
    const now = Date.now()
    const found = settle(entry, now)
    if (found?.kind === 'value') {
      const durationMs = performance.now() - call.started
      this.#deps.events.emit('cache:hit', {
        namespace: plan.namespace,
        tier: entry.tier,
        durationMs,
      })
      if (this.#eager(call, entry, now)) this.#refresh(call, entry)
      return Promise.resolve(fromEntry(found.entry, 'hit'))
    }
    if (found?.kind === 'error') return Promise.reject(found.error)
    if (found?.kind === 'pass') return this.#pass(call)
    const swrMs = plan.staleWhileRevalidateMs
    // The entry's own stale window bounds the reader's: a value its writer stored without one
    // (an HTTP `must-revalidate`) is never served stale while the store has not dropped it yet.
    const until = Math.min(entry.freshUntil + swrMs, entry.staleUntil)
    if (entry.kind === 'value' && swrMs > 0 && now < until) {
      this.#deps.events.emit('cache:stale', { namespace: plan.namespace, reason: 'revalidate' })
      this.#refresh(call, entry)
      return Promise.resolve(fromEntry(entry, 'stale'))
    }
    return undefined
  }

  /** Take the lock once: compute when won, wait for the holder when lost, run directly when down. */
  async #compute<T>(call: FnCall<T>, stale: StoredEntry<T> | undefined): Promise<CacheFnResult<T>> {
    return call.acquireOnce('compute', {
      acquired: (handle) => lead(call, stale, handle, 'lock'),
      contended: () => follow(call, stale),
      failed: () => lead(call, stale, undefined, 'fallback'),
    })
  }

  /** Whether a fresh hit is old enough for an eager background refresh. */
  #eager<T>(call: FnCall<T>, entry: StoredEntry<T>, now: number): boolean {
    const { eagerRefresh } = call.plan
    if (eagerRefresh === undefined) return false
    const lifetime = entry.freshUntil - entry.createdAt
    return now >= entry.createdAt + lifetime * eagerRefresh
  }

  /**
   * Refresh in the background, once per key in this process and once across instances: the
   * lock is tried once and a refresh already running elsewhere is left alone.
   */
  #refresh<T>(call: FnCall<T>, stale: StoredEntry<T>): void {
    const { flight } = this.#deps.refreshes.run('', call.plan.keys.value, () =>
      call.acquireOnce<CacheFnResult<T> | undefined>('refresh', {
        acquired: (handle) => lead(call, stale, handle, 'lock'),
        // Another instance is refreshing it already.
        contended: () => undefined,
        failed: () => lead(call, stale, undefined, 'fallback'),
      }),
    )
    // Failures are already reported as fn:run events; callers were served the stale value.
    flight.promise.catch(() => undefined)
  }

  /** Keys marked hit-for-pass run directly, still once per process at a time. */
  #pass<T>(call: FnCall<T>): Promise<CacheFnResult<T>> {
    return this.#deps.passes.run('', call.plan.keys.value, () => runDirect(call)).flight.promise
  }
}

function valueOf<T>(result: CacheFnResult<T>): T {
  return result.value
}
