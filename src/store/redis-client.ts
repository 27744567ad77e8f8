/* eslint-disable @typescript-eslint/no-explicit-any -- node-redis client types are generic over
   modules, scripts and RESP versions; accepting any of them needs `any` in those positions. */
import type { RedisClientPoolType, RedisClientType, RedisClusterType } from 'redis'
import type { SubscriptionState } from './store.js'
import type { ClusterSlotMap } from './redis-slot-refresh.js'

/**
 * node-redis clients: the kinds the `redis` option accepts, the fail-fast options of the
 * clients herdlock creates, and closing one without waiting on a dead server.
 */

/** A node-redis v5/v6 client (any modules, scripts, RESP version). */
export type RedisClient = RedisClientType<any, any, any, any, any>
type AnyRedisCluster = RedisClusterType<any, any, any, any, any>
/**
 * A node-redis v5/v6 cluster: the members the store uses. Structural, because the cluster's own
 * type does not accept a cluster created with other modules (its `connect()` and `_handleAsk`
 * are invariant in them), so `createCluster()`'s result would need a cast.
 */
export interface RedisCluster extends Pick<
  AnyRedisCluster,
  'masters' | 'slots' | 'isReady' | 'isOpen' | 'sendCommand' | 'nodeClient' | 'destroy' | 'close'
> {
  /** Connect to the cluster (the store subscribes on a duplicate it connects itself). */
  connect(): Promise<unknown>
  /** A new cluster client with the same options (for the pub/sub connection). */
  duplicate(): RedisCluster
  /** Listen to an event (the store listens to `error`). */
  on(event: string, listener: (...args: any[]) => void): unknown
  /** Stop listening to an event. */
  off(event: string, listener: (...args: any[]) => void): unknown
  /** Run a loaded Lua script by its SHA1, routed by its first key (the lock scripts). */
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  /** Run a Lua script, routed by its first key. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  /** Its slot map: asked for again when a node stops answering (redis-slot-refresh.ts). */
  readonly _slots?: ClusterSlotMap
}
/** A node-redis v5/v6 client pool. */
export type RedisClientPool = RedisClientPoolType<any, any, any, any, any>
/** What the `redis` option accepts: a URL, or a client, cluster or pool the user owns. */
export type RedisConnectionInput = string | RedisClient | RedisCluster | RedisClientPool

/** Settings for connections herdlock creates itself. */
export interface ConnectionSettings {
  /** Per-command deadline in ms. */
  readonly commandTimeoutMs: number
  /** Called for every connection error (they are also visible as failed commands). */
  readonly onError: (error: Error) => void
  /** Called when the pub/sub connection drops (`lost`) and when it is subscribed again. */
  readonly onSubscriberState?: (state: SubscriptionState) => void
}

/** Socket options that make a client fail fast instead of hanging on a dead or hung server. */
export function failFastClientOptions(url: string) {
  return {
    url,
    disableOfflineQueue: true,
    // Keeps the socket busy, so socketTimeout only fires when a server stops answering (hung).
    pingInterval: 1_000,
    // No per-command AbortSignal: with the offline queue disabled nothing waits in node-redis's
    // queue, and the store's own deadline bounds every call (it costs ~20% CPU per command).
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: 2_000,
      socketTimeout: 3_000,
      // A function (not the default) so the client also reconnects after a socket timeout.
      reconnectStrategy: (retries: number) =>
        Math.min(50 * 2 ** retries, 1_000) + Math.random() * 50,
    },
  }
}

export function readyPromise(client: RedisClient): Promise<void> {
  if (client.isReady) return Promise.resolve()
  return new Promise((resolve) => client.once('ready', () => resolve()))
}

/** Close gracefully, but never wait on a dead server: destroy after a short grace period. */
export async function closeClient(
  client: RedisClient | RedisCluster,
  onError: (error: Error) => void,
): Promise<void> {
  // Late errors (a ping timer firing after close) must never reach an unhandled 'error'.
  client.off('error', onError)
  client.on('error', ignore)
  // node-redis can finish a connection attempt after destroy() and then stay connected:
  // destroy again whenever it becomes ready after we closed it.
  client.on('ready', () => client.destroy())
  if (!client.isOpen) return
  if (!client.isReady) {
    client.destroy()
    return
  }
  let timer: NodeJS.Timeout | undefined
  const grace = new Promise<'grace'>((resolve) => {
    timer = setTimeout(resolve, 500, 'grace')
  })
  const outcome = await Promise.race([client.close().then(() => 'closed' as const), grace]).catch(
    () => 'failed' as const,
  )
  clearTimeout(timer)
  if (outcome !== 'closed' && client.isOpen) client.destroy()
}

function ignore(): void {}

/** Whether a connection input is a cluster (it lists its masters). */
export function isCluster(input: Exclude<RedisConnectionInput, string>): input is RedisCluster {
  return 'masters' in input
}
