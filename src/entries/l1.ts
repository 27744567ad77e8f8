import type { Bus } from '../bus/bus.js'
import type { EntryMeta } from '../codec/envelope.js'
import type { CacheEvents } from '../observe/events.js'
import { L1Epochs, type L1Ticket } from './l1-epochs.js'

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

/**
 * What a slot costs beyond its payload and key, in bytes: the Map entry, the slot and metadata
 * objects and the Buffer's own header. Measured (`npm run bench -- scale`, heap curve): about
 * 580 B per slot of a few-byte value in all, 128 B of which used to be counted, so a full
 * 16 MiB tier of small values held ~49 MiB of heap.
 */
const SLOT_OVERHEAD = 512

/**
 * The optional in-process tier in front of the store: an LRU bounded by bytes. Values are kept
 * serialized (every hit decodes a fresh copy, so callers can never mutate each other's data).
 * It stays coherent across instances through the bus: every write, delete and invalidation
 * elsewhere drops the local copy; `maxTtlMs` bounds staleness if a notice is lost.
 *
 * Epochs (`L1Epochs`, `l1-epochs.ts`): a read or write still in flight when an invalidation
 * drops its key may not put the value it carries back.
 *
 * Lost notices: while the bus's subscription is down (and before it first came up), notices
 * from other instances are lost. The tier then empties itself and refuses new slots until the
 * subscription is back, and
 * empties itself again when it is (a read made during the gap may carry what a lost notice
 * would have dropped).
 */
export class L1Tier {
  readonly #slots = new Map<string, L1Slot>()
  readonly #settings: L1Settings
  #bytes = 0
  // Counts moves to the recent end of the LRU order (the Map's insertion order).
  #uses = 0

  readonly #events: CacheEvents
  readonly #epochs = new L1Epochs()
  // True while the bus's subscription is down, or not up yet: notices are lost, so nothing is
  // kept (the first 'restored' lifts it).
  #suspended = true

  constructor(settings: L1Settings, bus: Bus, events: CacheEvents) {
    this.#settings = settings
    this.#events = events
    bus.listen((message) => {
      if (message.type === 'cleared') {
        const count = this.dropNamespace(message.namespace)
        events.emit('l1:evict', { namespace: message.namespace, reason: 'remote', count })
        return
      }
      if (message.type === 'untagged') {
        const count = this.dropTagged(message.tags)
        events.emit('l1:evict', { reason: 'remote', count })
        return
      }
      const slot = this.#slots.get(message.key)
      this.drop(message.key)
      events.emit('l1:evict', { namespace: slot?.namespace, reason: 'remote', count: slot ? 1 : 0 })
    })
    bus.onSubscription((state) => {
      this.#suspended = state === 'lost'
      const count = this.dropAll()
      events.emit('l1:evict', { reason: state === 'lost' ? 'unsubscribed' : 'resubscribed', count })
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

  /** The ticket a read or write takes before it goes to the store. */
  ticket(): L1Ticket {
    return this.#epochs.ticket()
  }

  /**
   * Hold an entry read from or written to the store; with a ticket, only when nothing dropped the
   * key since the ticket was taken.
   */
  set(
    key: string,
    namespace: string,
    meta: EntryMeta,
    payload: Buffer,
    now: number,
    ticket?: L1Ticket,
  ): void {
    if (
      this.#suspended ||
      (ticket !== undefined && this.#epochs.droppedSince(key, namespace, meta.tags, ticket))
    ) {
      return
    }
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

  /** Remove a slot (no epoch: for the tier's own bookkeeping, and writes refused by the store). */
  delete(key: string): void {
    const slot = this.#slots.get(key)
    if (slot === undefined) return
    this.#slots.delete(key)
    this.#bytes -= slot.bytes
  }

  /** Drop a key that was invalidated or changed: reads and writes in flight may not put it back. */
  drop(key: string): void {
    this.delete(key)
    this.#epochs.markKey(key)
  }

  /** Drop every entry of a namespace (see `drop`); returns how many were held. */
  dropNamespace(namespace: string): number {
    this.#epochs.markNamespace(namespace)
    return this.clearNamespace(namespace)
  }

  /**
   * Drop every entry carrying one of `tags` (see `drop`): the instance's own tag invalidation
   * reaches its copies even when the store's tag set no longer lists them (a registration lost
   * to a store restart); returns how many were dropped.
   */
  dropTagged(tags: readonly string[]): number {
    this.#epochs.markTags(tags)
    let count = 0
    for (const [key, slot] of this.#slots) {
      if (!slot.meta.tags.some((tag) => tags.includes(tag))) continue
      this.delete(key)
      count++
    }
    return count
  }

  /** Drop everything (see `drop`); returns how many entries were held. */
  dropAll(): number {
    const count = this.#slots.size
    this.clear()
    this.#epochs.markAll()
    return count
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
