import type { BreakerState } from '../observe/events.js'
import { CircuitBreaker, type BreakerSettings } from './breaker.js'

/** Which shard of a store holds a key; undefined when the store is one shard. */
export type ShardOf = (key: string) => string | undefined

/** Told of every state change, with the shard when it is a shard's breaker. */
export type BreakerListener = (
  state: BreakerState,
  previous: BreakerState,
  shard: string | undefined,
) => void

const SEVERITY: Readonly<Record<BreakerState, number>> = { closed: 0, 'half-open': 1, open: 2 }
/**
 * A shard's breaker no call has asked for this long is forgotten: its slots moved (a failover
 * promoted a replica, a resharding emptied it), so its state says nothing about the store now.
 * Forgotten on the lookup path (at most once per this interval, so a lookup stays a map get)
 * and when the state is read: within twice this time of its last use while calls go on. Never
 * before its cooldown has passed: an open breaker must not be replaced by a closed one.
 */
const IDLE_SHARD_MS = 3_000

/**
 * The store's circuit breakers. On a store of one server, one breaker. On a store spread over
 * shards (Redis Cluster masters), a call about one key counts toward the breaker of the shard
 * holding it: a dead master's keys fail fast while the healthy masters keep serving (with one
 * breaker, a dead master would make the cache skip Redis for every key). Script calls spanning
 * shards (a tagged entry) are split by shard (`split`); batches and tag invalidations count
 * toward the store-wide breaker.
 */
export class StoreBreakers {
  readonly #settings: BreakerSettings
  readonly #onChange: BreakerListener
  readonly #shardOf: ShardOf | undefined
  readonly #whole: CircuitBreaker
  #wholeUsedAt = 0
  readonly #shards = new Map<string, { breaker: CircuitBreaker; usedAt: number }>()
  readonly #now: () => number
  #prunedAt = 0
  readonly #idleMs: number

  constructor(
    settings: BreakerSettings,
    onChange: BreakerListener,
    shardOf?: ShardOf,
    now: () => number = () => performance.now(),
  ) {
    this.#now = now
    this.#settings = settings
    this.#idleMs = Math.max(IDLE_SHARD_MS, settings.cooldownMs)
    this.#onChange = onChange
    this.#shardOf = shardOf
    this.#whole = new CircuitBreaker(settings, (state, previous) =>
      onChange(state, previous, undefined),
    )
  }

  /** The breaker for a call about `key` (the shard's), or for a store-wide call (no key). */
  for(key?: string): CircuitBreaker {
    const shard = key === undefined ? undefined : this.#shardOf?.(key)
    const now = this.#now()
    if (now - this.#prunedAt >= this.#idleMs) this.#prune(now)
    if (shard === undefined) {
      this.#wholeUsedAt = now
      return this.#whole
    }
    let slot = this.#shards.get(shard)
    if (slot === undefined) {
      const breaker = new CircuitBreaker(this.#settings, (state, previous) =>
        this.#onChange(state, previous, shard),
      )
      slot = { breaker, usedAt: 0 }
      this.#shards.set(shard, slot)
    }
    slot.usedAt = now
    return slot.breaker
  }

  /**
   * The breakers for calls about `keys` (each call's first key), with the indexes of the calls
   * each one counts: a call spanning shards (a tagged entry: its key and its tag sets) is split
   * so that each part counts toward the breaker of the shard it goes to. Without shards, one.
   */
  split(keys: readonly (string | undefined)[]): Map<CircuitBreaker, number[]> {
    const groups = new Map<CircuitBreaker, number[]>()
    keys.forEach((key, index) => {
      const breaker = this.for(key)
      const group = groups.get(breaker)
      if (group === undefined) groups.set(breaker, [index])
      else group.push(index)
    })
    return groups
  }

  /** The shards whose breakers are kept (asked for lately). */
  get shards(): readonly string[] {
    return [...this.#shards.keys()]
  }

  /** Forget every shard's breaker (closing the cache): none outlives its store. */
  clear(): void {
    this.#shards.clear()
  }

  /**
   * The most severe state of the breakers in use. On a sharded store the store-wide breaker
   * counts only while calls still ask for it: an open one moves on only when asked (`allow`),
   * and single-key traffic never asks, so it would report `open` long after its store recovered.
   */
  get state(): BreakerState {
    const now = this.#now()
    const wholeIdle = this.#shardOf !== undefined && now - this.#wholeUsedAt > IDLE_SHARD_MS
    let worst: BreakerState = wholeIdle ? 'closed' : this.#whole.state
    this.#prune(now)
    for (const { breaker } of this.#shards.values()) {
      if (SEVERITY[breaker.state] > SEVERITY[worst]) worst = breaker.state
    }
    return worst
  }

  #prune(now: number): void {
    this.#prunedAt = now
    for (const [shard, { usedAt }] of this.#shards) {
      if (now - usedAt > this.#idleMs) this.#shards.delete(shard)
    }
  }
}
