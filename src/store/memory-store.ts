import { StoreError } from '../errors.js'
import { globToRegExp } from './glob.js'
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

/** A sorted set: member -> score. */
type Sorted = Map<string, number>

interface Slot {
  value: Buffer | Sorted
  /** Epoch ms; Infinity when the key has no TTL. */
  expiresAt: number
  bytes: number
}

const ENTRY_OVERHEAD = 96
const SCAN_BATCH = 500
const SWEEP_PER_WRITE = 4

/**
 * An in-process store with Redis semantics (TTL in ms, sets, scripts run atomically, pub/sub
 * inside the process), bounded by bytes with LRU eviction. The embedded default when no Redis
 * is configured; it does not share anything between processes.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory'
  readonly #data = new Map<string, Slot>()
  readonly #channels = new Map<string, Set<(message: string) => void>>()
  readonly #maxBytes: number
  readonly #now: () => number
  readonly #db: MemoryDb
  #bytes = 0
  #closed = false

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024
    this.#now = options.now ?? Date.now
    this.#db = this.#createDb()
  }

  /** Bytes currently accounted for. */
  get bytes(): number {
    return this.#bytes
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.#guard('get', () => this.#readString(key))
  }

  getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    return this.#guard('getMany', () => keys.map((key) => this.#readString(key)))
  }

  set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    return this.#guard('set', () => this.#write(key, value, ttlMs))
  }

  setMany(writes: readonly StoreWrite[]): Promise<void> {
    return this.#guard('setMany', () => {
      for (const { key, value, ttlMs } of writes) this.#write(key, value, ttlMs)
    })
  }

  delete(keys: readonly string[]): Promise<number> {
    return this.#guard('delete', () => keys.filter((key) => this.#remove(key)).length)
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
    const matching = [...this.#data.keys()].filter(
      (key) => regexp.test(key) && this.#live(key) !== undefined,
    )
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
    this.#bytes = 0
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

  /** The slot of a key if it exists and has not expired; marks it recently used. */
  #live(key: string): Slot | undefined {
    const slot = this.#data.get(key)
    if (slot === undefined) return undefined
    if (slot.expiresAt <= this.#now()) {
      this.#remove(key)
      return undefined
    }
    this.#data.delete(key)
    this.#data.set(key, slot)
    return slot
  }

  #readString(key: string): Buffer | undefined {
    const value = this.#live(key)?.value
    return Buffer.isBuffer(value) ? value : undefined
  }

  #write(key: string, value: Buffer | Sorted, ttlMs: number): void {
    this.#remove(key)
    const size = Buffer.isBuffer(value) ? value.length : 0
    const slot = { value, expiresAt: this.#now() + ttlMs, bytes: key.length * 2 + size }
    slot.bytes += ENTRY_OVERHEAD
    if (slot.bytes > this.#maxBytes) return
    this.#data.set(key, slot)
    this.#bytes += slot.bytes
    this.#sweep()
  }

  #remove(key: string): boolean {
    const slot = this.#data.get(key)
    if (slot === undefined) return false
    this.#data.delete(key)
    this.#bytes -= slot.bytes
    return slot.expiresAt > this.#now()
  }

  /** Drop a few expired entries, then evict least recently used ones beyond the budget. */
  #sweep(): void {
    let checked = 0
    const now = this.#now()
    for (const [key, slot] of this.#data) {
      if (checked++ >= SWEEP_PER_WRITE && this.#bytes <= this.#maxBytes) break
      if (slot.expiresAt <= now || this.#bytes > this.#maxBytes) this.#remove(key)
    }
  }

  #deliver(channel: string, message: string): void {
    const listeners = this.#channels.get(channel)
    if (listeners === undefined) return
    // Asynchronous like a network hop, so publishers never re-enter their listeners.
    for (const listener of listeners) setImmediate(listener, message)
  }

  #createDb(): MemoryDb {
    return {
      get: (key) => this.#readString(key),
      set: (key, value, ttlMs) => this.#write(key, value, ttlMs),
      delete: (key) => this.#remove(key),
      pttl: (key) => {
        const slot = this.#live(key)
        if (slot === undefined) return -2
        return slot.expiresAt === Infinity ? -1 : slot.expiresAt - this.#now()
      },
      expire: (key, ttlMs) => {
        const slot = this.#live(key)
        if (slot !== undefined) slot.expiresAt = this.#now() + ttlMs
      },
      sortedAdd: (key, score, member) => {
        const sorted = this.#sorted(key) ?? new Map<string, number>()
        sorted.set(member, score)
        if (this.#data.get(key)?.value !== sorted) this.#write(key, sorted, Infinity)
        this.#resize(key, sorted)
      },
      sortedTrim: (key, max) => {
        const sorted = this.#sorted(key)
        if (sorted === undefined) return
        for (const [member, score] of sorted) if (score <= max) sorted.delete(member)
        this.#resize(key, sorted)
      },
      sortedRange: (key, count) => {
        const sorted = this.#sorted(key)
        if (sorted === undefined || count <= 0) return []
        return [...sorted].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1)).slice(0, count)
      },
      sortedRemove: (key, member) => {
        const sorted = this.#sorted(key)
        if (sorted === undefined || !sorted.delete(member)) return false
        this.#resize(key, sorted)
        return true
      },
      sortedScore: (key, member) => this.#sorted(key)?.get(member),
      sortedMaxScore: (key) => {
        let max: number | undefined
        for (const score of this.#sorted(key)?.values() ?? []) max = Math.max(max ?? score, score)
        return max
      },
      timeMicros: () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
      publish: (channel, message) => this.#deliver(channel, message),
    }
  }

  #sorted(key: string): Sorted | undefined {
    const value = this.#live(key)?.value
    return value instanceof Map ? value : undefined
  }

  /** Re-account the size of a sorted set after it changed; an empty one is deleted (Redis too). */
  #resize(key: string, sorted: Sorted): void {
    const slot = this.#data.get(key)
    if (slot === undefined) return
    if (sorted.size === 0) {
      this.#remove(key)
      return
    }
    let bytes = key.length * 2 + ENTRY_OVERHEAD
    for (const member of sorted.keys()) bytes += member.length * 2 + 24
    this.#bytes += bytes - slot.bytes
    slot.bytes = bytes
  }
}
