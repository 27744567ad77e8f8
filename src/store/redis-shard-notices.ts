import { withDeadline } from './deadline.js'
import type { RedisCluster } from './redis-client.js'
import { shardChannelOf } from './redis-shard-channels.js'
import { ShardSubscriber } from './redis-shard-subscriber.js'

/**
 * Sharded notices on a cluster connection: whether the cluster has sharded pub/sub (Redis 7 on
 * every master), and the shard subscriptions of the channels subscribed.
 *
 * A channel's notices go to its shard channels only once this instance subscribed them; until
 * then (and for good on a cluster before Redis 7) they go to the classic channel, which every
 * instance keeps listening to as well. So instances that switch at different moments, or still
 * run a herdlock without shard channels during a rolling upgrade, still hear each other's
 * classic notices; the older ones miss the newer ones' shard notices until they are upgraded.
 */
export interface ShardNotices {
  /** The shard channel of `key` for `channel` once sharded notices are on for it, else undefined. */
  channelFor(channel: string, key: string): string | undefined
  /**
   * Subscribe the shard channels of `channel` (nothing on a cluster without them). Resolves once
   * every slot's is subscribed; rejects when they could not all be (it keeps trying meanwhile).
   */
  subscribe(
    channel: string,
    listener: (message: string) => void,
    onUp: (up: boolean) => void,
  ): Promise<void>
  /** Whether every shard subscription is up. */
  isReady(): boolean
  close(): Promise<void>
}

/** What the shard notices need from the cluster connection. */
export interface ShardNoticeSettings {
  /** Bounds a version check and each subscription round, in ms. */
  readonly timeoutMs: number
  readonly onError: (error: Error) => void
  /** Asks the cluster for a new slot map (rate-limited). */
  readonly refreshSlots: () => void
}

export function shardNotices(cluster: RedisCluster, settings: ShardNoticeSettings): ShardNotices {
  const subscribers = new Map<string, ShardSubscriber>()
  const started = new Set<string>()
  let supported: Promise<boolean> | undefined
  let closed = false
  return {
    channelFor: (channel, key) => (started.has(channel) ? shardChannelOf(channel, key) : undefined),
    subscribe: async (channel, listener, onUp) => {
      supported ??= everyMasterHasShardChannels(cluster, settings.timeoutMs).catch((error) => {
        supported = undefined
        throw error
      })
      if (!(await supported) || closed) return
      let subscriber = subscribers.get(channel)
      if (subscriber === undefined) {
        subscriber = new ShardSubscriber({ cluster, channel, listener, onUp, ...settings })
        subscribers.set(channel, subscriber)
        await subscriber.start()
      } else if (!subscriber.up && !(await subscriber.sync())) {
        throw new Error('the shard channels of some slots could not be subscribed')
      }
      started.add(channel)
    },
    isReady: () => [...subscribers.values()].every((subscriber) => subscriber.up),
    close: async () => {
      closed = true
      started.clear()
      const all = [...subscribers.values()]
      subscribers.clear()
      await Promise.all(all.map((subscriber) => subscriber.close()))
    },
  }
}

/** Whether every master runs Redis 7 or later (SSUBSCRIBE, SPUBLISH from scripts). */
async function everyMasterHasShardChannels(
  cluster: RedisCluster,
  timeoutMs: number,
): Promise<boolean> {
  // Before the cluster's first slot map there is nothing to ask: try again later.
  if (cluster.masters.length === 0) throw new Error('the cluster has no known master yet')
  const versions = Promise.all(
    cluster.masters.map(async (master) => {
      const node = await cluster.nodeClient(master)
      const info: unknown = await node.sendCommand(['INFO', 'server'])
      const text = typeof info === 'string' || Buffer.isBuffer(info) ? info.toString() : ''
      return Number(/redis_version:(\d+)/.exec(text)?.[1] ?? '0')
    }),
  )
  const majors = await withDeadline('subscribe', timeoutMs, versions, (error) => error as Error)
  return majors.every((major) => major >= 7)
}
