import { createHash } from 'node:crypto'
import { StoreError, StoreTimeoutError } from '../errors.js'
import { DeadlineQueue } from './deadline.js'
import type { RedisConnectionInput } from './redis-client.js'
import { openConnection, type Connection } from './redis-connection.js'
import { scanPages } from './redis-scan.js'
import { isShardChannel } from './redis-shard-channels.js'
import { SubscriptionParts } from './subscription-parts.js'
import type {
  ScriptCall,
  ScriptReply,
  Store,
  StoreScript,
  StoreStatus,
  StoreWrite,
  SubscriptionState,
  Unsubscribe,
} from './store.js'

/** Options of the Redis store. */
export interface RedisStoreOptions {
  /** Deadline of every store operation, in ms. */
  commandTimeoutMs: number
  /** Receives connection-level errors (reconnects, socket timeouts). */
  onError: (error: Error) => void
}

/**
 * The Store on node-redis: binary-safe values, one round trip for multi-key operations,
 * EVALSHA with an EVAL fallback, SCAN (never KEYS), and a deadline on every call so that a dead
 * or hung server can never hang the caller.
 */
export class RedisStore implements Store {
  readonly kind = 'redis'
  readonly #connection: Connection
  readonly #deadlines: DeadlineQueue
  readonly #shas = new Map<StoreScript, string>()
  readonly #channels = new Map<string, Set<(message: string) => void>>()
  readonly #subscription = new SubscriptionParts()
  // Calls made before the first connection, waiting for it within their deadline.
  // (start it, drop it)
  readonly #beforeFirst = new Map<() => void, () => void>()
  #everReady = false
  readonly #timedOut = (): void => this.#connection.timedOut?.()

  constructor(input: RedisConnectionInput, options: RedisStoreOptions) {
    this.#deadlines = new DeadlineQueue(options.commandTimeoutMs, toStoreError)
    this.#connection = openConnection(input, {
      commandTimeoutMs: options.commandTimeoutMs,
      onError: options.onError,
      onSubscriberState: (state) => this.#subscription.set('classic', state === 'restored'),
    })
    void this.#connection.firstReady.then(() => {
      this.#everReady = true
      for (const start of this.#beforeFirst.keys()) start()
      this.#beforeFirst.clear()
    })
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.#call('get', () => this.#send(['GET', key], key).then(toBuffer))
  }

  getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    if (keys.length === 0) return Promise.resolve([])
    return this.#call('getMany', async () => {
      const reply = await this.#send(['MGET', ...keys], keys[0]).catch((error: unknown) => {
        // On a cluster, keys of different slots cannot share an MGET: pipeline GETs instead.
        if (!isCrossSlot(error)) throw error
        return Promise.all(keys.map((key) => this.#send(['GET', key], key)))
      })
      if (!Array.isArray(reply)) throw new StoreError('getMany', 'unexpected reply')
      return reply.map(toBuffer)
    })
  }

  set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    return this.#call('set', async () => {
      await this.#send(['SET', key, value, 'PX', String(ttlMs)], key)
    })
  }

  setMany(writes: readonly StoreWrite[]): Promise<void> {
    return this.#call('setMany', async () => {
      // Issued in one tick, node-redis writes them as one pipeline: one round trip.
      await Promise.all(
        writes.map(({ key, value, ttlMs }) =>
          this.#send(['SET', key, value, 'PX', String(ttlMs)], key),
        ),
      )
    })
  }

  delete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0)
    return this.#call('delete', async () => {
      const counts = await Promise.all(keys.map((key) => this.#send(['UNLINK', key], key)))
      return counts.reduce<number>((sum, count) => sum + Number(count), 0)
    })
  }

  /** SCAN each master in turn, reading one page ahead (`scanPages`). */
  async *scan(pattern: string): AsyncIterable<string[]> {
    for (const target of this.#connection.scanTargets()) {
      yield* scanPages(pattern, (args) => this.#call('scan', () => target(args)))
    }
  }

  run(calls: readonly ScriptCall[]): Promise<ScriptReply[]> {
    return this.#call('run', () => Promise.all(calls.map((call) => this.#runScript(call))))
  }

  publish(channel: string, message: string): Promise<void> {
    const command = isShardChannel(channel) ? 'SPUBLISH' : 'PUBLISH'
    return this.#call('publish', async () => {
      await this.#send([command, channel, message], channel)
    })
  }

  /** On a Redis 7 cluster, once subscribed: the shard channel of `key`'s slot (Store#noticeChannel). */
  noticeChannel(channel: string, key: string): string {
    return this.#connection.shards?.channelFor(channel, key) ?? channel
  }

  async subscribe(
    channel: string,
    listener: (message: string) => void,
    onState?: (state: SubscriptionState) => void,
  ): Promise<Unsubscribe> {
    let listeners = this.#channels.get(channel)
    const fanOut = (message: string): void => {
      for (const each of listeners ?? []) each(message)
    }
    if (listeners === undefined) {
      listeners = new Set()
      this.#channels.set(channel, listeners)
      // Subscribing waits for the connection (it may come up later); node-redis resubscribes
      // by itself after every reconnect.
      const subscriber = await this.#connection.subscriber()
      await subscriber.subscribe(channel, fanOut)
    }
    // Again on every call until it works: a call that failed here is retried by the bus.
    await this.#connection.shards?.subscribe(channel, fanOut, (up) =>
      this.#subscription.set('shards', up),
    )
    listeners.add(listener)
    if (onState !== undefined) this.#subscription.listeners.add(onState)
    return () => {
      listeners.delete(listener)
      if (onState !== undefined) this.#subscription.listeners.delete(onState)
      return Promise.resolve()
    }
  }

  async ping(): Promise<number> {
    const started = performance.now()
    await this.#call('ping', () => this.#send(['PING'], undefined))
    return performance.now() - started
  }

  status(): StoreStatus {
    return {
      ready: this.#connection.isReady(),
      subscriberReady: this.#connection.isSubscriberReady(),
    }
  }

  /** On a cluster, the address of the master holding `key` now (see Store#shardOf). */
  shardOf(key: string): string | undefined {
    return this.#connection.shardOf?.(key)
  }

  async close(): Promise<void> {
    this.#channels.clear()
    this.#subscription.listeners.clear()
    for (const drop of [...this.#beforeFirst.values()]) drop()
    await this.#connection.close()
    this.#deadlines.close()
  }

  #send(args: (string | Buffer)[], key: string | undefined): Promise<unknown> {
    return this.#connection.send(args, key)
  }

  #call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.#everReady) return this.#deadlines.race(operation, work(), this.#timedOut)
    // Until the first connection is up, wait for it (within the deadline) instead of failing:
    // the offline queue is disabled, so commands sent before that would be refused outright.
    // A call whose deadline passes first is dropped, never sent: its caller already failed
    // open (a `set` that resolved must not land later), and nothing piles up meanwhile.
    let start: () => void = () => undefined
    let drop: () => void = () => undefined
    const started = new Promise<T>((resolve, reject) => {
      start = () => {
        work().then(resolve, reject)
      }
      drop = () => {
        this.#beforeFirst.delete(start)
        reject(new StoreError(operation, 'not connected yet'))
      }
    })
    this.#beforeFirst.set(start, drop)
    return this.#deadlines.race(operation, started, drop)
  }

  async #runScript({ script, keys, args }: ScriptCall): Promise<ScriptReply> {
    const sha = this.#sha(script)
    const tail = [String(keys.length), ...keys, ...args]
    try {
      return (await this.#send(['EVALSHA', sha, ...tail], keys[0])) as ScriptReply
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return (await this.#send(['EVAL', script.lua, ...tail], keys[0])) as ScriptReply
    }
  }

  #sha(script: StoreScript): string {
    let sha = this.#shas.get(script)
    if (sha === undefined) {
      sha = createHash('sha1').update(script.lua).digest('hex')
      this.#shas.set(script, sha)
    }
    return sha
  }
}

function toStoreError(operation: string, error: unknown): Error {
  if (error instanceof StoreTimeoutError || error instanceof StoreError) return error
  const cause = error instanceof Error ? error : new Error(String(error))
  return new StoreError(operation, cause.message || cause.name, { cause })
}

function toBuffer(reply: unknown): Buffer | undefined {
  if (reply === null || reply === undefined) return undefined
  if (Buffer.isBuffer(reply)) return reply
  if (typeof reply === 'string') return Buffer.from(reply, 'utf8')
  throw new StoreError('get', 'unexpected reply type')
}

function isCrossSlot(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('CROSSSLOT')
}
