/**
 * The memory store's data, like one Redis database: strings and sorted sets under keys with a
 * TTL in ms, bounded by bytes with least-recently-used eviction.
 */

/** A sorted set: member -> score. */
export type Sorted = Map<string, number>

interface Slot {
  value: Buffer | Sorted
  /** Epoch ms; Infinity when the key has no TTL. */
  expiresAt: number
  bytes: number
}

const ENTRY_OVERHEAD = 96
const SWEEP_PER_WRITE = 4

/** Keys with TTLs within a byte budget; every read of a live key marks it recently used. */
export class MemoryData {
  readonly #data = new Map<string, Slot>()
  readonly #maxBytes: number
  readonly #now: () => number
  #bytes = 0

  constructor(maxBytes: number, now: () => number) {
    this.#maxBytes = maxBytes
    this.#now = now
  }

  /** Bytes currently accounted for. */
  get bytes(): number {
    return this.#bytes
  }

  /** Every key held, live or expired, least recently used first. */
  keys(): IterableIterator<string> {
    return this.#data.keys()
  }

  /** Whether a key exists and has not expired; marks it recently used. */
  has(key: string): boolean {
    return this.#live(key) !== undefined
  }

  clear(): void {
    this.#data.clear()
    this.#bytes = 0
  }

  readString(key: string): Buffer | undefined {
    const value = this.#live(key)?.value
    return Buffer.isBuffer(value) ? value : undefined
  }

  write(key: string, value: Buffer | Sorted, ttlMs: number): void {
    this.remove(key)
    const size = Buffer.isBuffer(value) ? value.length : 0
    const slot = { value, expiresAt: this.#now() + ttlMs, bytes: key.length * 2 + size }
    slot.bytes += ENTRY_OVERHEAD
    if (slot.bytes > this.#maxBytes) return
    this.#data.set(key, slot)
    this.#bytes += slot.bytes
    this.#sweep()
  }

  /** Delete a key; true when it existed and had not expired. */
  remove(key: string): boolean {
    const slot = this.#data.get(key)
    if (slot === undefined) return false
    this.#data.delete(key)
    this.#bytes -= slot.bytes
    return slot.expiresAt > this.#now()
  }

  /** Remaining TTL in ms; -1 without expiry, -2 when the key does not exist (like PTTL). */
  pttl(key: string): number {
    const slot = this.#live(key)
    if (slot === undefined) return -2
    return slot.expiresAt === Infinity ? -1 : slot.expiresAt - this.#now()
  }

  expire(key: string, ttlMs: number): void {
    const slot = this.#live(key)
    if (slot !== undefined) slot.expiresAt = this.#now() + ttlMs
  }

  sortedAdd(key: string, score: number, member: string): void {
    const sorted = this.#sorted(key) ?? new Map<string, number>()
    sorted.set(member, score)
    if (this.#data.get(key)?.value !== sorted) this.write(key, sorted, Infinity)
    this.#resize(key, sorted)
  }

  sortedTrim(key: string, max: number): void {
    const sorted = this.#sorted(key)
    if (sorted === undefined) return
    for (const [member, score] of sorted) if (score <= max) sorted.delete(member)
    this.#resize(key, sorted)
  }

  /** Up to `count` members of lowest score, with their scores (like ZRANGE 0 count-1 WITHSCORES). */
  sortedRange(key: string, count: number): [member: string, score: number][] {
    const sorted = this.#sorted(key)
    if (sorted === undefined || count <= 0) return []
    return [...sorted].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1)).slice(0, count)
  }

  /** Remove a member of a sorted set; true when it was there (like ZREM). */
  sortedRemove(key: string, member: string): boolean {
    const sorted = this.#sorted(key)
    if (sorted === undefined || !sorted.delete(member)) return false
    this.#resize(key, sorted)
    return true
  }

  sortedScore(key: string, member: string): number | undefined {
    return this.#sorted(key)?.get(member)
  }

  sortedMaxScore(key: string): number | undefined {
    let max: number | undefined
    for (const score of this.#sorted(key)?.values() ?? []) max = Math.max(max ?? score, score)
    return max
  }

  /** The slot of a key if it exists and has not expired; marks it recently used. */
  #live(key: string): Slot | undefined {
    const slot = this.#data.get(key)
    if (slot === undefined) return undefined
    if (slot.expiresAt <= this.#now()) {
      this.remove(key)
      return undefined
    }
    this.#data.delete(key)
    this.#data.set(key, slot)
    return slot
  }

  /** Drop a few expired entries, then evict least recently used ones beyond the budget. */
  #sweep(): void {
    let checked = 0
    const now = this.#now()
    for (const [key, slot] of this.#data) {
      if (checked++ >= SWEEP_PER_WRITE && this.#bytes <= this.#maxBytes) break
      if (slot.expiresAt <= now || this.#bytes > this.#maxBytes) this.remove(key)
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
      this.remove(key)
      return
    }
    let bytes = key.length * 2 + ENTRY_OVERHEAD
    for (const member of sorted.keys()) bytes += member.length * 2 + 24
    this.#bytes += bytes - slot.bytes
    slot.bytes = bytes
  }
}
