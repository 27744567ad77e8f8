import { ErrorReply } from 'redis'

/**
 * A node-redis cluster's slot map, as far as herdlock uses it: asking for a new one. node-redis
 * refreshes its map on MOVED replies, and on connection failures only after
 * `topologyRefreshOnReconnectionAttemptStrategy` (5 s by default); a dead master answers
 * nothing, so its slots would wait that long for the promoted replica, and a hung one
 * (SIGSTOP, a stalled host) drops no connection, so they would wait until it wakes up.
 */
export interface ClusterSlotMap {
  /**
   * Ask for the slot map, first of the node `startWith.options` connects to, then of the known
   * nodes, then of the root nodes. Only one runs at a time: a call made meanwhile joins it.
   */
  rediscover(...args: never[]): Promise<unknown>
}

/** A cluster node's client, as the refresh uses it. */
interface NodeClient {
  sendCommand(args: string[]): Promise<unknown>
  readonly options?: object
}

/** The cluster members the refresh needs (a node-redis cluster has them all). */
export interface RefreshableCluster {
  /** The masters of the current slot map. */
  readonly masters: readonly object[]
  /** A node's client (connected on first use). */
  nodeClient(node: never): Promise<NodeClient>
  /** Its slot map. */
  readonly _slots?: ClusterSlotMap
}

/** How often a failing cluster is asked for a new slot map, at most, in ms. */
export const SLOT_REFRESH_INTERVAL_MS = 250

/**
 * Returns `failed(error)`: call it with every failure of a command sent to the cluster,
 * deadline expiries included. A failure that is not a Redis error reply (a timeout, a closed or
 * refused connection) means a node may be gone or hung, so the slot map is asked for again, at
 * most once per `intervalMs` while failures go on: the first ask usually still sees the failed
 * master (its replica is promoted only after the cluster's node timeout); a later one finds the
 * new master.
 *
 * The map is asked of a master that has just answered a PING (see answeringNode): node-redis
 * asks known nodes in random order, without a timeout, and runs one discovery at a time, so a
 * discovery that picked a hung master would hang, and every later one would join it.
 */
export function slotRefresher(
  cluster: RefreshableCluster | undefined,
  intervalMs = SLOT_REFRESH_INTERVAL_MS,
): (error: unknown) => void {
  let last = Number.NEGATIVE_INFINITY
  return (error) => {
    const slots = cluster?._slots
    if (cluster === undefined || typeof slots?.rediscover !== 'function') return
    if (error instanceof ErrorReply) return
    const now = performance.now()
    if (now - last < intervalMs) return
    last = now
    // Failures of the refresh itself show up as the commands that keep failing.
    answeringNode(cluster, intervalMs)
      .then((startWith) =>
        startWith === undefined ? undefined : slots.rediscover(startWith as never),
      )
      .catch(() => undefined)
  }
}

/**
 * Options to reach the first master that answers a PING within `withinMs` (undefined when none
 * does), shaped as `rediscover`'s `startWith`. A copy: node-redis adjusts the options it is given.
 * The PING left unanswered on a hung master is rejected when its client is dropped.
 */
async function answeringNode(
  cluster: RefreshableCluster,
  withinMs: number,
): Promise<{ options: object } | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>(
    (resolve) => (timer = setTimeout(resolve, withinMs, undefined)),
  )
  const pinged = cluster.masters.map(async (master) => {
    const client = await cluster.nodeClient(master as never)
    await client.sendCommand(['PING'])
    const options = (client.options ?? {}) as { socket?: object }
    return { options: { ...options, socket: { ...options.socket } } }
  })
  try {
    return await Promise.race([Promise.any(pinged), late])
  } catch {
    return undefined // every master failed
  } finally {
    clearTimeout(timer)
  }
}
