import { StoreError } from '../errors.js'
import { globToRegExp } from './glob.js'
import { MemoryData } from './memory-data.js'
import type {
  MemoryDb,
  ScriptCall,
  ScriptReply,
  Store,
  StoreStatus,
  StoreWrite,
  Unsubscribe,
} from './store.js'

/** Options of the memory store. */
export interface MemoryStoreOptions {
  /**
   * Upper bound of the memory held, in bytes (keys, values and a fixed overhead per entry).
   * The least recently used entries are evicted beyond it.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number
  /** Clock in epoch milliseconds, for tests. @default Date.now */
  now?: () => number
}

const SCAN_BATCH = 500

/**
 * An in-process store with Redis semantics (TTL in ms, sets, scripts run atomically, pub/sub
 * inside the process), bounded by bytes with LRU eviction. The embedded default when no Redis
 * is configured; it does not share anything between processes.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory'
  readonly #data: MemoryData
  readonly #channels = new Map<string, Set<(message: string) => void>>()
  readonly #db: MemoryDb
  #closed = false

  constructor(options: MemoryStoreOptions = {}) {
    this.#data = new MemoryData(options.maxBytes ?? 64 * 1024 * 1024, options.now ?? Date.now)
    this.#db = this.#createDb()
  }

  /** Bytes currently accounted for. */
  get bytes(): number {
    return this.#data.bytes
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.#guard('get', () => this.#data.readString(key))
  }

  getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return this.#guard('getMany', () => keys.map((key) => this.#data.readString(key)))
  }

  set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    return this.#guard('set', () => this.#data.write(key, value, ttlMs))
  }

  setMany(writes: readonly StoreWrite[]): Promise<void> {
    return this.#guard('setMany', () => {
      for (const { key, value, ttlMs } of writes) this.#data.write(key, value, ttlMs)
    })
  }

  delete(keys: readonly string[]): Promise<number> {
    return this.#guard('delete', () => keys.filter((key) => this.#data.remove(key)).length)
  }

  async *scan(pattern: string): AsyncIterable<string[]> {
    this.#assertOpen('scan')
    // Like SCAN: batches from a snapshot of the keys, yielding to the event loop between them.
    for (const batch of this.#scanBatches(globToRegExp(pattern))) {
      await Promise.resolve()
      yield batch
    }
  }

  #scanBatches(regexp: RegExp): string[][] {
    const matching = [...this.#data.keys()].filter((key) => regexp.test(key) && this.#data.has(key))
    const batches: string[][] = []
    for (let i = 0; i < matching.length; i += SCAN_BATCH) {
      batches.push(matching.slice(i, i + SCAN_BATCH))
    }
    return batches
  }

  run(calls: readonly ScriptCall[]): Promise<ScriptReply[]> {
    return this.#guard('run', () =>
      calls.map(({ script, keys, args }) =>
        script.memory(
          this.#db,
          keys,
          args.map((arg) => (typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg)),
        ),
      ),
    )
  }

  publish(channel: string, message: string): Promise<void> {
    return this.#guard('publish', () => this.#deliver(channel, message))
  }

  subscribe(channel: string, listener: (message: string) => void): Promise<Unsubscribe> {
    return this.#guard('subscribe', () => {
      const listeners = this.#channels.get(channel) ?? new Set()
      listeners.add(listener)
      this.#channels.set(channel, listeners)
      return () => {
        listeners.delete(listener)
        return Promise.resolve()
      }
    })
  }

  ping(): Promise<number> {
    return this.#guard('ping', () => 0)
  }

  status(): StoreStatus {
    return { ready: !this.#closed, subscriberReady: !this.#closed }
  }

  close(): Promise<void> {
    this.#closed = true
    this.#data.clear()
    this.#channels.clear()
    return Promise.resolve()
  }

  #guard<T>(operation: string, body: () => T): Promise<T> {
    try {
      this.#assertOpen(operation)
      return Promise.resolve(body())
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw new StoreError(operation, 'the memory store is closed')
  }

  #deliver(channel: string, message: string): void {
    const listeners = this.#channels.get(channel)
    if (listeners === undefined) return
    // Asynchronous like a network hop, so publishers never re-enter their listeners.
    for (const listener of listeners) setImmediate(listener, message)
  }

  #createDb(): MemoryDb {
    const data = this.#data
    return {
      get: (key) => data.readString(key),
      set: (key, value, ttlMs) => data.write(key, value, ttlMs),
      delete: (key) => data.remove(key),
      pttl: (key) => data.pttl(key),
      expire: (key, ttlMs) => data.expire(key, ttlMs),
      sortedAdd: (key, score, member) => data.sortedAdd(key, score, member),
      sortedTrim: (key, max) => data.sortedTrim(key, max),
      sortedRange: (key, count) => data.sortedRange(key, count),
      sortedRemove: (key, member) => data.sortedRemove(key, member),
      sortedScore: (key, member) => data.sortedScore(key, member),
      sortedMaxScore: (key) => data.sortedMaxScore(key),
      timeMicros: () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
      publish: (channel, message) => this.#deliver(channel, message),
    }
  }
}
