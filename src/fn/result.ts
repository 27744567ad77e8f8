import type { Bus, WireError } from '../bus/bus.js'
import type { StoredEntry } from '../entries/entry-codec.js'
import type { EntryStore } from '../entries/entry-store.js'
import { RemoteFunctionError } from '../errors.js'
import type { CacheEvents } from '../observe/events.js'
import type { SingleFlight } from './single-flight.js'
import type { FnPlan } from '../options/fn-options.js'
import type { DistributedLock } from '../lock/lock.js'
import type { StateLog } from '../observe/logger.js'
import type { WaiterRegistry } from './waiters.js'

/** What the cacheFn engine works with. */
export interface FnDeps {
  readonly entries: EntryStore
  readonly lock: DistributedLock
  readonly bus: Bus
  readonly events: CacheEvents
  readonly waiters: WaiterRegistry
  /** Calls by namespace and key. */
  readonly flights: SingleFlight
  /** Background refreshes, by store key. */
  readonly refreshes: SingleFlight
  /** Direct runs of keys marked hit-for-pass, by store key. */
  readonly passes: SingleFlight
  readonly log: StateLog
}

/** How a cacheFn call was answered. */
export type CacheFnStatus = 'hit' | 'stale' | 'miss'

/** A cacheFn answer with where it came from (see `Cache#cacheFnResult`). */
export interface CacheFnResult<T> {
  /** The value, as `cacheFn` would return it. */
  readonly value: T
  /**
   * `hit`: a fresh stored value (including one another instance just computed); `stale`: a
   * stale value (stale-while-revalidate, stale-if-error, soft timeout); `miss`: computed here.
   */
  readonly status: CacheFnStatus
  /** Where a hit was read from. */
  readonly tier: 'l1' | 'store' | undefined
  /** When the value was produced (epoch ms). */
  readonly createdAt: number
  /** Until when it is fresh (epoch ms). */
  readonly freshUntil: number
  /**
   * True when the store or the lock failed and the value was computed without them (nothing
   * shared, nothing collapsed across instances).
   */
  readonly degraded: boolean
}

/** Why the function ran in this process. */
export type RunReason = 'lock' | 'takeover' | 'fallback' | 'wait-timeout' | 'pass'

/** The answer for a value computed in this process (not, or not yet, stored). */
export function computed<T>(value: T, now = Date.now()): CacheFnResult<T> {
  return {
    value,
    status: 'miss',
    tier: undefined,
    createdAt: now,
    freshUntil: now,
    degraded: false,
  }
}

/** The answer for a stored entry. */
export function fromEntry<T>(entry: StoredEntry<T>, status: CacheFnStatus): CacheFnResult<T> {
  return {
    value: entry.value,
    status,
    tier: entry.tier,
    createdAt: entry.createdAt,
    freshUntil: entry.freshUntil,
    degraded: false,
  }
}

/** The stale value usable after a failure, if the stale-if-error window allows it. */
export function staleIfError<T>(
  plan: FnPlan<T>,
  stale: StoredEntry<T> | undefined,
  now = Date.now(),
): StoredEntry<T> | undefined {
  if (stale === undefined || stale.kind !== 'value' || plan.sieMs <= 0) return undefined
  return now < stale.freshUntil + plan.sieMs ? stale : undefined
}

/** The error as it travels to other instances (name, message and code only). */
export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  const code = (error as { code?: unknown }).code
  return typeof code === 'string'
    ? { name: error.name, message: error.message, code }
    : { name: error.name, message: error.message }
}

/** Rebuild another instance's failure: same name, message and code. */
export function fromWire(wire: WireError): RemoteFunctionError {
  return new RemoteFunctionError(wire.name, wire.message, wire.code)
}

/** What a stored entry means for a caller: a value, a cached failure, a pass, or nothing usable. */
export type Settled<T> =
  | { readonly kind: 'value'; readonly entry: StoredEntry<T> }
  | { readonly kind: 'error'; readonly error: RemoteFunctionError }
  | { readonly kind: 'pass' }
  | undefined

export function settle<T>(entry: StoredEntry<T> | undefined, now: number): Settled<T> {
  if (entry === undefined || entry.freshUntil <= now) return undefined
  if (entry.kind === 'value') return { kind: 'value', entry }
  if (entry.kind === 'pass') return { kind: 'pass' }
  return { kind: 'error', error: fromWire(entry.value as WireError) }
}
