import type { WireError } from '../bus/bus.js'
import type { StoredEntry } from '../entries/entry-codec.js'
import type { RemoteFunctionError } from '../errors.js'
import type { FnPlan } from '../options/fn-options.js'
import { fromWire } from './wire-error.js'

/** What a stored entry means for a caller: a value, a cached failure, a pass, or nothing usable. */
export type Settled<T> =
  | { readonly kind: 'value'; readonly entry: StoredEntry<T> }
  | { readonly kind: 'error'; readonly error: RemoteFunctionError }
  | { readonly kind: 'pass' }
  | undefined

/** Read a stored entry as an answer; only fresh entries answer (stale ones are the engine's call). */
export function settle<T>(entry: StoredEntry<T> | undefined, now: number): Settled<T> {
  if (entry === undefined || entry.freshUntil <= now) return undefined
  if (entry.kind === 'value') return { kind: 'value', entry }
  if (entry.kind === 'pass') return { kind: 'pass' }
  return { kind: 'error', error: fromWire(entry.value as WireError) }
}

/** The stale value usable after a failure, if the stale-if-error window allows it. */
export function staleIfError<T>(
  plan: FnPlan<T>,
  stale: StoredEntry<T> | undefined,
  now = Date.now(),
): StoredEntry<T> | undefined {
  if (stale === undefined || stale.kind !== 'value' || plan.staleIfErrorMs <= 0) return undefined
  // Never past the entry's own stale window (see the engine's stale-while-revalidate).
  const until = Math.min(stale.freshUntil + plan.staleIfErrorMs, stale.staleUntil)
  return now < until ? stale : undefined
}
