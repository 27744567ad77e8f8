import { StoreUnavailableError } from '../errors.js'
import type { CircuitBreaker } from '../store/breaker.js'
import type { ScriptCall, ScriptReply } from '../store/store.js'
import type { EntryStoreDeps } from './entry-store-types.js'

/**
 * The entry layer's fail-open policy: every store failure is counted by the breaker, emitted as
 * an `error` event, logged once per outage, and turned into the caller's fallback (a miss, a
 * skipped write) unless `throwOnStoreError`; an open breaker answers the fallback at once.
 */

/** What the policy reports to. */
export type FailOpenDeps = Pick<EntryStoreDeps, 'breaker' | 'log' | 'events' | 'throwOnStoreError'>

/**
 * Run a store operation under the breaker and the fail-open policy; `key`: the one key the
 * operation is about, so it counts toward the breaker of the shard holding it (store-wide
 * without one).
 */
export function failOpen<T, F>(
  deps: FailOpenDeps,
  operation: string,
  fallback: F,
  work: () => Promise<T>,
  key?: string,
): Promise<T | F> {
  return guarded(deps, operation, fallback, work, deps.breaker?.for(key))
}

/**
 * Run script calls under the fail-open policy, each counting toward the breaker of the shard
 * its first key maps to; resolves to their replies in order, or undefined when the store
 * failed. A set spanning shards (an entry and its tag sets on a cluster) is sent only if every
 * shard's breaker admits it, one run per shard, so a dead master's failures open its own
 * breaker alone and its open breaker refuses only the calls that need it; calls on healthy
 * masters go on. On one server (no shards), one run, as `failOpen`.
 */
export async function failOpenRun(
  deps: FailOpenDeps & Pick<EntryStoreDeps, 'store'>,
  operation: string,
  calls: readonly ScriptCall[],
): Promise<ScriptReply[] | undefined> {
  const groups = deps.breaker?.split(calls.map((call) => call.keys[0]))
  const run = (): Promise<ScriptReply[]> => deps.store.run(calls)
  if (groups === undefined || groups.size <= 1) {
    const [breaker] = groups?.keys() ?? []
    return guarded(deps, operation, undefined, run, breaker)
  }
  if (![...groups.keys()].every((breaker) => breaker.admits())) {
    return refused(deps, operation, undefined)
  }
  const replies = new Array<ScriptReply>(calls.length)
  const parts = [...groups].map(async ([breaker, indexes]) => {
    const part = indexes.map((index) => calls[index]!)
    const got = await guarded(deps, operation, undefined, () => deps.store.run(part), breaker)
    got?.forEach((reply, i) => (replies[indexes[i]!] = reply))
    return got !== undefined
  })
  return (await Promise.all(parts)).every(Boolean) ? replies : undefined
}

function guarded<T, F>(
  deps: FailOpenDeps,
  operation: string,
  fallback: F,
  work: () => Promise<T>,
  breaker: CircuitBreaker | undefined,
): Promise<T | F> {
  const ticket = breaker === undefined ? 0 : breaker.allow()
  if (ticket < 0) return refused(deps, operation, fallback)
  return work().then(
    (result) => {
      breaker?.success(ticket)
      deps.log.up('store')
      return result
    },
    (error: unknown) => {
      breaker?.failure(ticket)
      deps.log.down('store', error as Error)
      deps.events.emit('error', { source: 'store', operation, error: error as Error })
      if (deps.throwOnStoreError) throw error
      return fallback
    },
  )
}

/** A call the breaker refused: its fallback, or StoreUnavailableError with `throwOnStoreError`. */
function refused<F>(deps: FailOpenDeps, operation: string, fallback: F): Promise<F> {
  if (deps.throwOnStoreError) return Promise.reject(new StoreUnavailableError(operation))
  return Promise.resolve(fallback)
}
