import type { StoredEntry } from '../entries/entry-codec.js'

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
