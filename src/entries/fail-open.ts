import { StoreUnavailableError } from '../errors.js'
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
  const breaker = deps.breaker?.for(key)
  const ticket = breaker === undefined ? 0 : breaker.allow()
  if (ticket < 0) {
    if (deps.throwOnStoreError) return Promise.reject(new StoreUnavailableError(operation))
    return Promise.resolve(fallback)
  }
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
