import {
  closeClient,
  type ConnectionSettings,
  type RedisClient,
  type RedisCluster,
} from './redis-client.js'

/**
 * The store's pub/sub connection: a duplicate of the main client (or cluster) created on first
 * use, reporting when its subscription is lost and restored.
 */

/** The pub/sub side of a client or cluster, as the store uses it. */
export interface Subscriber {
  subscribe(channel: string, listener: (message: string) => void): Promise<void>
}

/** A pub/sub connection that does not exist until it is first asked for. */
export interface LazySubscriber {
  get(): Promise<Subscriber>
  isReady(): boolean
  close(): Promise<void>
}

/** A pub/sub connection created on first use, closed with the store. */
export function lazySubscriber(
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
