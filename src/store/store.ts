/**
 * The Store seam: everything the core needs from a shared key-value server. Two
 * implementations: Redis (node-redis) and an in-process memory store with the same semantics.
 * Values are bytes; serialization is not the store's business.
 */

/** One entry of a multi-set. */
export interface StoreWrite {
  /** The full store key. */
  readonly key: string
  /** The bytes to write. */
  readonly value: Buffer
  /** Time to live in milliseconds (> 0). */
  readonly ttlMs: number
}

/**
 * An argument of a script call.
 *
 * @inline
 */
export type ScriptArgument = string | Buffer

/**
 * A server-side script. `lua` runs on Redis; `memory` is the same logic for the memory store,
 * run synchronously (and therefore atomically) against its data.
 */
export interface StoreScript {
  /** Short name, for errors and stats. */
  readonly name: string
  /** The Lua source. */
  readonly lua: string
  /** The same operation on the memory store's data. */
  readonly memory: (db: MemoryDb, keys: readonly string[], args: readonly Buffer[]) => ScriptReply
}

/** What a script returns: RESP-like values (numbers, byte strings, nulls, arrays). */
export type ScriptReply = number | Buffer | null | readonly ScriptReply[]

/**
 * The memory store's data as scripts see it: a small subset of Redis semantics (strings with a
 * TTL, sorted sets, server time, publish).
 */
export interface MemoryDb {
  /** Read a live key (like GET). */
  get(key: string): Buffer | undefined
  /** Write a key with a TTL in ms (like SET PX). */
  set(key: string, value: Buffer, ttlMs: number): void
  /** Delete a key; true when it existed (like DEL). */
  delete(key: string): boolean
  /** Remaining TTL in ms; -1 without expiry, -2 when the key does not exist (like PTTL). */
  pttl(key: string): number
  /** Set the TTL of an existing key, in ms (like PEXPIRE). */
  expire(key: string, ttlMs: number): void
  /** Add a member to a sorted set, or update its score (like ZADD). */
  sortedAdd(key: string, score: number, member: string): void
  /** Remove the members scored at most `max` (like ZREMRANGEBYSCORE key -inf max). */
  sortedTrim(key: string, max: number): void
  /** Up to `count` members of lowest score, with their scores (like ZRANGE 0 count-1 WITHSCORES). */
  sortedRange(key: string, count: number): [member: string, score: number][]
  /** Remove a member of a sorted set; true when it was there (like ZREM). */
  sortedRemove(key: string, member: string): boolean
  /** The score of a member of a sorted set; undefined when it is not there (like ZSCORE). */
  sortedScore(key: string, member: string): number | undefined
  /** The highest score of a sorted set; undefined when it does not exist. */
  sortedMaxScore(key: string): number | undefined
  /** Server time in microseconds. */
  timeMicros(): number
  /** Publish a message to the store's subscribers (like PUBLISH). */
  publish(channel: string, message: string): void
}

/**
 * What happened to a subscription: `lost` when its connection dropped (messages published from
 * then on are missed), `restored` when it is subscribed again.
 *
 * @inline
 */
export type SubscriptionState = 'lost' | 'restored'

/**
 * A subscription to a channel; call it to unsubscribe.
 *
 * @inline
 */
export type Unsubscribe = () => Promise<void>

/**
 * What the store reports about its connections, for health checks.
 *
 * @inline
 */
export interface StoreStatus {
  /** Whether the main connection is ready for commands. */
  readonly ready: boolean
  /** Whether the pub/sub connection is subscribed (true when no subscription was asked for). */
  readonly subscriberReady: boolean
}

/** The seam between the cache core and its shared storage. */
export interface Store {
  /** Which implementation this is. */
  readonly kind: 'redis' | 'memory'
  /** Read one key. */
  get(key: string): Promise<Buffer | undefined>
  /** Read many keys in one round trip, in order. */
  getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]>
  /** Write one key with a TTL (PX). */
  set(key: string, value: Buffer, ttlMs: number): Promise<void>
  /** Write many keys, each with its TTL, in one round trip. */
  setMany(writes: readonly StoreWrite[]): Promise<void>
  /** Delete keys; resolves to how many existed. */
  delete(keys: readonly string[]): Promise<number>
  /** Find keys matching a Redis glob pattern with SCAN (never KEYS), in batches. */
  scan(pattern: string): AsyncIterable<string[]>
  /** Run scripts, all in one round trip, in order. */
  run(calls: readonly ScriptCall[]): Promise<ScriptReply[]>
  /** Publish a message on a channel (a channel `noticeChannel` returned included). */
  publish(channel: string, message: string): Promise<void>
  /**
   * The channel to publish a notice about `key` on, for subscribers of `channel`: a store spread
   * over shards may give one that costs only the shard of `key` (Redis 7 sharded pub/sub, one
   * shard channel per slot), which scripts touching `key` can publish on. Its `subscribe` of
   * `channel` then hears those too. Absent, or `channel` itself: notices go to `channel`.
   */
  noticeChannel?(channel: string, key: string): string
  /**
   * Subscribe to a channel; the listener gets every message published on it. `onState` hears
   * when the subscription is lost and restored after it started (a store that cannot lose it
   * never calls it).
   */
  subscribe(
    channel: string,
    listener: (message: string) => void,
    onState?: (state: SubscriptionState) => void,
  ): Promise<Unsubscribe>
  /** Round-trip a PING; resolves to the latency in ms. */
  ping(): Promise<number>
  /** The state of the connections. */
  status(): StoreStatus
  /** Close every connection and timer this store opened (never the user's own clients). */
  close(): Promise<void>
  /**
   * Which shard holds `key` (a Redis Cluster master's address), for a store spread over
   * several servers: the cache then counts failures per shard, so one dead shard does not stop
   * it using the others. Absent, or undefined for a key: the store is one shard.
   */
  shardOf?(key: string): string | undefined
}

/** One script invocation. */
export interface ScriptCall {
  /** The script to run. */
  readonly script: StoreScript
  /** Its KEYS: every key it touches. */
  readonly keys: readonly string[]
  /** Its ARGV. */
  readonly args: readonly ScriptArgument[]
}
