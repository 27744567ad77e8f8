import type { Bus } from '../bus/bus.js'
import type { EntryMeta } from '../codec/envelope.js'
import type { CacheEvents } from '../observe/events.js'

/** One entry held in the L1 tier: metadata and the serialized value (decoded on each hit). */
export interface L1Slot {
  readonly namespace: string
  readonly meta: EntryMeta
  readonly payload: Buffer
  readonly bytes: number
  /** When the slot stops being served from L1 (epoch ms). */
  readonly expiresAt: number
  /** The tier's use counter when the slot was last moved to the recent end. */
  used: number
  /** The decoded value, kept for callers that promise not to mutate it (`immutable`). */
  shared?: { readonly value: unknown }
}

/** Settings of the L1 tier. */
export interface L1Settings {
  readonly maxBytes: number
  /** Longest an entry is served from L1 without asking the store again, in ms. */
  readonly maxTtlMs: number
}

const SLOT_OVERHEAD = 128

/**
 * The optional in-process tier in front of the store: an LRU bounded by bytes. Values are kept
 * serialized (every hit decodes a fresh copy, so callers can never mutate each other's data).
 * It stays coherent across instances through the bus: every write, delete and invalidation
 * elsewhere drops the local copy; `maxTtlMs` bounds staleness if a notice is lost.
 */
export class L1Tier {
  readonly #slots = new Map<string, L1Slot>()
  readonly #settings: L1Settings
  #bytes = 0
  // Counts moves to the recent end of the LRU order (the Map's insertion order).
  #uses = 0

  readonly #events: CacheEvents

  constructor(settings: L1Settings, bus: Bus, events: CacheEvents) {
    this.#settings = settings
    this.#events = events
    bus.listen((message) => {
      if (message.type === 'cleared') {
        const count = this.clearNamespace(message.namespace)
        events.emit('l1:evict', { namespace: message.namespace, reason: 'remote', count })
        return
      }
      const slot = this.#slots.get(message.key)
      this.delete(message.key)
      events.emit('l1:evict', { namespace: slot?.namespace, reason: 'remote', count: slot ? 1 : 0 })
    })
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes
  }

  /** Entries held. */
  get size(): number {
    return this.#slots.size
  }

  /** A live slot for `key`, marked recently used; undefined when absent or past its L1 life. */
  get(key: string, now: number): L1Slot | undefined {
    const slot = this.#slots.get(key)
    if (slot === undefined) return undefined
    if (slot.expiresAt <= now) {
      this.delete(key)
      return undefined
    }
    // Fewer than half the slots were moved after this one: it still sits in the newer half of
    // the order, so leave it there. Hot keys then skip two map operations per hit, and the
    // eviction order stays close to LRU.
    if (this.#uses - slot.used >= Math.max(1, this.#slots.size >> 1)) {
      this.#slots.delete(key)
      this.#slots.set(key, slot)
      slot.used = ++this.#uses
    }
    return slot
  }

  /** Hold an entry read from or written to the store. */
  set(key: string, namespace: string, meta: EntryMeta, payload: Buffer, now: number): void {
    this.delete(key)
    const expiresAt = Math.min(meta.staleUntil, now + this.#settings.maxTtlMs)
    const bytes = payload.length + key.length * 2 + SLOT_OVERHEAD
    if (bytes > this.#settings.maxBytes || expiresAt <= now) return
    this.#slots.set(key, { namespace, meta, payload, bytes, expiresAt, used: ++this.#uses })
    this.#bytes += bytes
    let evicted = 0
    for (const [oldest, slot] of this.#slots) {
      if (this.#bytes <= this.#settings.maxBytes) break
      this.#slots.delete(oldest)
      this.#bytes -= slot.bytes
      evicted++
    }
    if (evicted > 0) this.#events.emit('l1:evict', { reason: 'lru', count: evicted })
  }

  delete(key: string): void {
    const slot = this.#slots.get(key)
    if (slot === undefined) return
    this.#slots.delete(key)
    this.#bytes -= slot.bytes
  }

  /** Drop every entry of a namespace; returns how many were dropped. */
  clearNamespace(namespace: string): number {
    let count = 0
    for (const [key, slot] of this.#slots) {
      if (slot.namespace !== namespace) continue
      this.delete(key)
      count++
    }
    return count
  }

  clear(): void {
    this.#slots.clear()
    this.#bytes = 0
  }
}
