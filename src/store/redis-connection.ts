/* eslint-disable @typescript-eslint/no-explicit-any -- node-redis client types are generic over
   modules, scripts and RESP versions; accepting any of them needs `any` in those positions. */
import {
  createClient,
  RESP_TYPES,
  type RedisArgument,
  type RedisClientPoolType,
  type RedisClientType,
  type RedisClusterType,
} from 'redis'
import type { SubscriptionState } from './store.js'

/**
 * Connections to Redis for the store: one place that knows the difference between a single
 * client, a cluster and a client pool, and that creates fail-fast clients from URLs.
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
  'masters' | 'isReady' | 'isOpen' | 'sendCommand' | 'nodeClient' | 'destroy' | 'close'
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

/** Replies come back with byte strings as Buffers (binary-safe values). */
const BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const

type Sender = (args: RedisArgument[]) => Promise<unknown>
/** The pub/sub side of a client or cluster, as the store uses it. */
export interface Subscriber {
  subscribe(channel: string, listener: (message: string) => void): Promise<void>
}

/** The operations the store needs, whatever the connection kind. */
export interface Connection {
  /** Send one command, routed by `key` on a cluster. */
  send(args: RedisArgument[], key: string | undefined): Promise<unknown>
  /** One sender per master, for commands that must visit every node (SCAN). */
  scanTargets(): Sender[]
  /** A connection for pub/sub, created on first use. */
  subscriber(): Promise<Subscriber>
  /** Whether the main connection is ready. */
  isReady(): boolean
  /** Whether the pub/sub connection is ready (true if none was created). */
  isSubscriberReady(): boolean
  /** Resolves once the first connection is ready (never rejects). */
  readonly firstReady: Promise<void>
  /** Close what herdlock opened. */
  close(): Promise<void>
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

/** Open (or wrap) a connection. Never throws for an unreachable server: it keeps retrying. */
export function openConnection(
  input: RedisConnectionInput,
  settings: ConnectionSettings,
): Connection {
  if (typeof input === 'string') {
    const client = createClient(failFastClientOptions(input))
    return clientConnection(client as RedisClient, true, settings)
  }
  if (isCluster(input)) return clusterConnection(input, settings)
  if (isPool(input)) return poolConnection(input, settings)
  return clientConnection(input, false, settings)
}

function isCluster(input: Exclude<RedisConnectionInput, string>): input is RedisCluster {
  return 'masters' in input
}

function isPool(input: Exclude<RedisConnectionInput, string>): input is RedisClientPool {
  return 'execute' in input && !('duplicate' in input)
}

function clientConnection(
  client: RedisClient,
  owned: boolean,
  settings: ConnectionSettings,
): Connection {
  client.on('error', settings.onError)
  const firstReady = readyPromise(client)
  if (owned) client.connect().catch(settings.onError)
  const options = { ...BUFFERS, timeout: queueTimeout(owned, settings) }
  const send: Sender = (args) => client.sendCommand(args, options)
  const subscriber = lazySubscriber(() => client.duplicate(), settings)
  return {
    send: (args) => send(args),
    scanTargets: () => [send],
    subscriber: () => subscriber.get(),
    isReady: () => client.isReady,
    isSubscriberReady: () => subscriber.isReady(),
    firstReady,
    close: async () => {
      await subscriber.close()
      if (owned) await closeClient(client, settings.onError)
      else client.off('error', settings.onError)
    },
  }
}

/**
 * node-redis's own command timeout, which only covers time spent queued. Clients we create have
 * no offline queue, so it is off (the store's deadline covers the caller); clients you pass in
 * may queue while offline, so queued commands are dropped after the command timeout instead of
 * piling up through a long outage.
 */
function queueTimeout(owned: boolean, settings: ConnectionSettings): number {
  return owned ? 0 : settings.commandTimeoutMs
}

function clusterConnection(cluster: RedisCluster, settings: ConnectionSettings): Connection {
  cluster.on('error', settings.onError)
  const options = { ...BUFFERS, timeout: queueTimeout(false, settings) }
  const subscriber = lazySubscriber(() => cluster.duplicate(), settings)
  return {
    send: (args, key) => cluster.sendCommand(key, false, args, options),
    scanTargets: () =>
      cluster.masters.map(
        (master) => (args: RedisArgument[]) =>
          cluster.nodeClient(master).then((node) => node.sendCommand(args, options)),
      ),
    subscriber: () => subscriber.get(),
    isReady: () => cluster.isReady,
    isSubscriberReady: () => subscriber.isReady(),
    firstReady: Promise.resolve(),
    close: async () => {
      await subscriber.close()
      cluster.off('error', settings.onError)
    },
  }
}

function poolConnection(pool: RedisClientPool, settings: ConnectionSettings): Connection {
  const options = { ...BUFFERS, timeout: queueTimeout(false, settings) }
  const send: Sender = (args) => pool.sendCommand(args, options)
  const subscriber = lazySubscriber(
    () => pool.execute((client) => client.duplicate()) as Promise<RedisClient>,
    settings,
  )
  return {
    send: (args) => send(args),
    scanTargets: () => [send],
    subscriber: () => subscriber.get(),
    isReady: () => pool.isOpen && !pool.isClosing,
    isSubscriberReady: () => subscriber.isReady(),
    firstReady: Promise.resolve(),
    close: () => subscriber.close(),
  }
}

function readyPromise(client: RedisClient): Promise<void> {
  if (client.isReady) return Promise.resolve()
  return new Promise((resolve) => client.once('ready', () => resolve()))
}

interface LazySubscriber {
  get(): Promise<Subscriber>
  isReady(): boolean
  close(): Promise<void>
}

/** A pub/sub connection created on first use, closed with the store. */
function lazySubscriber(
  create: () => RedisClient | RedisCluster | Promise<RedisClient>,
  settings: ConnectionSettings,
): LazySubscriber {
  let pending: Promise<Subscriber> | undefined
  let current: RedisClient | RedisCluster | undefined
  let closed = false
  const discard = (sub: RedisClient | RedisCluster): Promise<void> =>
    closeClient(sub, settings.onError)
  return {
    get: () => {
      pending ??= (async () => {
        const sub = await create()
        if (closed) {
          await discard(sub)
          throw new Error('the store is closed')
        }
        current = sub
        sub.on('error', settings.onError)
        try {
          await sub.connect()
        } catch (error) {
          if (current === sub) current = undefined
          await discard(sub)
          throw error
        }
        // Closed while connecting: a cluster opens its node connections only as connect()
        // ends, after close() destroyed what existed then; end them now.
        if (closed) {
          sub.destroy()
          throw new Error('the store is closed')
        }
        watchSubscriber(sub, settings)
        return sub as unknown as Subscriber
      })().catch((error: unknown) => {
        pending = undefined
        throw error
      })
      return pending
    },
    isReady: () => current === undefined || current.isReady,
    close: async () => {
      closed = true
      const sub = current
      current = undefined
      if (sub !== undefined) await discard(sub)
    },
  }
}

/**
 * Report the subscriber's connection going and coming back. node-redis resubscribes by itself
 * after a reconnect, and emits `ready` only once that is done; an `error` while not ready means
 * the connection is gone (errors while still ready change nothing).
 */
function watchSubscriber(sub: RedisClient | RedisCluster, settings: ConnectionSettings): void {
  const report = settings.onSubscriberState
  if (report === undefined) return
  sub.on('error', () => {
    if (!sub.isReady) report('lost')
  })
  sub.on('ready', () => report('restored'))
}

/** Close gracefully, but never wait on a dead server: destroy after a short grace period. */
async function closeClient(
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
