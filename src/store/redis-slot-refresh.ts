import { ErrorReply } from 'redis'

/**
 * A node-redis cluster's slot map, as far as herdlock uses it: asking for a new one. node-redis
 * refreshes its map on MOVED replies, and on connection failures only after
 * `topologyRefreshOnReconnectionAttemptStrategy` (5 s by default); a dead master answers
 * nothing, so its slots would wait that long for the promoted replica.
 */
export interface ClusterSlotMap {
  /** Ask the cluster's known nodes (else its root nodes) for the slot map. */
  rediscover(...args: never[]): Promise<unknown>
}

/** How often a failing cluster is asked for a new slot map, at most, in ms. */
export const SLOT_REFRESH_INTERVAL_MS = 250

/**
 * Returns `failed(error)`: call it with every failure of a command sent to the cluster. A
 * failure that is not a Redis error reply (a timeout, a closed or refused connection) means a
 * node may be gone, so the slot map is asked for again, at most once per `intervalMs` while
 * failures go on: the first ask usually still sees the dead master (its replica is promoted
 * only after the cluster's node timeout); a later one finds the new master.
 */
export function slotRefresher(
  slots: ClusterSlotMap | undefined,
  intervalMs = SLOT_REFRESH_INTERVAL_MS,
): (error: unknown) => void {
  let last = Number.NEGATIVE_INFINITY
  return (error) => {
    if (slots === undefined || typeof slots.rediscover !== 'function') return
    if (error instanceof ErrorReply) return
    const now = performance.now()
    if (now - last < intervalMs) return
    last = now
    // Failures of the refresh itself show up as the commands that keep failing.
    slots.rediscover().catch(() => undefined)
  }
}
