import { createClient, RESP_TYPES, type RedisArgument } from 'redis'
import {
  closeClient,
  failFastClientOptions,
  isCluster,
  readyPromise,
  type ConnectionSettings,
  type RedisClient,
  type RedisClientPool,
  type RedisCluster,
  type RedisConnectionInput,
} from './redis-client.js'
import { StoreTimeoutError } from '../errors.js'
import { keySlot } from './redis-slot.js'
import { shardNotices, type ShardNotices } from './redis-shard-notices.js'
import { slotRefresher } from './redis-slot-refresh.js'
import { lazySubscriber, type Subscriber } from './redis-subscriber.js'

/**
 * Connections to Redis for the store: one place that knows the difference between a single
 * client, a cluster and a client pool (clients: `redis-client.ts`; pub/sub:
 * `redis-subscriber.ts`).
 */

/** Replies come back with byte strings as Buffers (binary-safe values). */
const BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const

type Sender = (args: RedisArgument[]) => Promise<unknown>

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
  /** The address of the master holding `key` now (a cluster only). */
  shardOf?(key: string): string | undefined
  /** Notices on shard channels (a cluster only; see `redis-shard-notices.ts`). */
  readonly shards?: ShardNotices
  /** A call passed its deadline: on a cluster, a master may hang (its slot map is asked for). */
  timedOut?(): void
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
  let closing = false
  // Closing while the first connection is still being made destroys it: its connect() then
  // rejects ("Disconnects client"), which is the close, not a connection error.
  if (owned) client.connect().catch((error: Error) => closing || settings.onError(error))
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
      closing = true
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
  const failed = slotRefresher(cluster)
  const shards = shardNotices(cluster, {
    timeoutMs: Math.max(2 * settings.commandTimeoutMs, 1_000),
    onError: settings.onError,
    refreshSlots: () => failed(new Error('a shard subscription was lost')),
  })
  const watched = <T>(sent: Promise<T>): Promise<T> =>
    sent.catch((error: unknown) => {
      failed(error)
      throw error
    })
  return {
    send: (args, key) => watched(cluster.sendCommand(key, false, args, options)),
    scanTargets: () =>
      cluster.masters.map(
        (master) => (args: RedisArgument[]) =>
          watched(cluster.nodeClient(master).then((node) => node.sendCommand(args, options))),
      ),
    subscriber: () => subscriber.get(),
    isReady: () => cluster.isReady,
    shardOf: (key) => cluster.slots[keySlot(key)]?.master.address,
    timedOut: () => failed(new StoreTimeoutError('cluster', settings.commandTimeoutMs)),
    isSubscriberReady: () => subscriber.isReady() && shards.isReady(),
    firstReady: Promise.resolve(),
    shards,
    close: async () => {
      await Promise.all([subscriber.close(), shards.close()])
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
