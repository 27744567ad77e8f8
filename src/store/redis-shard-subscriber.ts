import { withDeadline } from './deadline.js'
import type { RedisCluster } from './redis-client.js'
import { shardChannel } from './redis-shard-channels.js'
import { migrationsEnded, migrationWatch } from './redis-shard-migrations.js'
import { ShardNode } from './redis-shard-node.js'
import { keySlot, SLOT_COUNT } from './redis-slot.js'

/**
 * The subscriber of a bus channel's shard channels on a Redis 7 cluster (redis-shard-channels.ts):
 * one connection per master, for the slots it serves, following the slot map through failovers
 * and migrations.
 *
 * A slot counts as subscribed only once its master confirmed the SSUBSCRIBE on a connection that
 * has stayed up since. Anything that may have let a notice pass unheard takes that away and
 * reports the subscription down (`onUp(false)`), so the bus treats it as lost notices (L1 tiers
 * drop what they hold) until every slot is subscribed again at its current master:
 * - a connection that drops (its master died or restarted): the connection is discarded, never
 *   left to resubscribe by itself, and its slots are subscribed again on a new one;
 * - a slot the server says moved away (`sharded-channel-moved`, as a migration ends);
 * - a slot map that names another master than the one subscribed (a failover), checked every
 *   `WATCH_INTERVAL_MS` and after every failure;
 * - a slot that a master reports migrating or importing (`redis-shard-migrations.ts`), asked at
 *   most every `WATCH_INTERVAL_MS`.
 */

/** How often the slot map is compared with the subscriptions, in ms. */
const WATCH_INTERVAL_MS = 1_000
/** Slots subscribed at once on one connection. */
const SUBSCRIBE_CHUNK = 256
/** How soon a round that left slots unsubscribed is tried again, in ms. */
const RETRY_INTERVAL_MS = 100

/** What the subscriber needs from the store's cluster connection. */
export interface ShardSubscriberDeps {
  readonly cluster: RedisCluster
  /** The bus channel whose shard channels are subscribed. */
  readonly channel: string
  /** Receives every message of every shard channel. */
  readonly listener: (message: string) => void
  /** Hears the subscription go down (notices may be missed) and come back up. */
  readonly onUp: (up: boolean) => void
  /** Asks the cluster for a new slot map (rate-limited by the caller). */
  readonly refreshSlots: () => void
  /** Bounds each subscription round, in ms. */
  readonly timeoutMs: number
  readonly onError: (error: Error) => void
}

export class ShardSubscriber {
  readonly #deps: ShardSubscriberDeps
  readonly #nodes = new Map<string, ShardNode>()
  /** Per slot, the master address its channel is confirmed subscribed at. */
  readonly #at: (string | undefined)[] = new Array<string | undefined>(SLOT_COUNT)
  /** Addresses whose last attempt failed: reported once until one succeeds. */
  readonly #failing = new Set<string>()
  #up = false
  #closed = false
  #round: Promise<boolean> | undefined
  #timer: NodeJS.Timeout | undefined
  readonly #migrating: () => Promise<ReadonlySet<number> | undefined>
  readonly #migrationsEnded = migrationsEnded()

  constructor(deps: ShardSubscriberDeps) {
    this.#deps = deps
    this.#migrating = migrationWatch(deps.cluster, deps.timeoutMs, WATCH_INTERVAL_MS)
  }

  /** Whether every slot's channel is subscribed at its current master. */
  get up(): boolean {
    return this.#up
  }

  /**
   * Subscribe every slot's channel. Resolves once all are; rejects when a round made no
   * progress (a master does not answer), and keeps trying in the background.
   */
  async start(): Promise<void> {
    this.#schedule(WATCH_INTERVAL_MS)
    let confirmed = -1
    while (!(await this.sync())) {
      const now = this.#at.filter((at) => at !== undefined).length
      if (this.#closed || now === confirmed) {
        throw new Error('the shard channels of some slots could not be subscribed')
      }
      confirmed = now
    }
  }

  /** Bring the subscriptions in line with the slot map; resolves to whether all slots are. */
  sync(): Promise<boolean> {
    this.#round ??= this.#sync().finally(() => (this.#round = undefined))
    return this.#round
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    const nodes = [...this.#nodes.values()]
    this.#nodes.clear()
    await Promise.all(nodes.map((node) => node.close(this.#deps.onError)))
  }

  async #sync(): Promise<boolean> {
    if (this.#closed) return false
    // Asked alongside the round (a master that does not answer must not hold it up).
    const migrating = this.#migrating()
    const masters = this.#deps.cluster.slots
    const wanted = new Map<string, number[]>()
    let covered = true
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const address = masters[slot]?.master.address
      if (address === undefined) covered = false
      else if (this.#at[slot] !== address) {
        const slots = wanted.get(address)
        if (slots === undefined) wanted.set(address, [slot])
        else slots.push(slot)
      }
    }
    // A slot not subscribed at its master now may be missing notices already.
    if (!covered || wanted.size > 0) this.#setUp(false)
    const rounds = [...wanted].map(([address, slots]) => this.#subscribeAt(address, slots))
    const fail = (error: unknown): Error => error as Error
    const done = await withDeadline('subscribe', this.#deps.timeoutMs, Promise.all(rounds), fail)
      .then((results) => results.every(Boolean))
      .catch(() => false)
    // A slot being migrated: notices of its keys already moved go out where nobody listens.
    const moving = await migrating
    const ended = moving === undefined ? [] : this.#migrationsEnded(moving)
    for (const slot of ended) this.#moved(shardChannel(this.#deps.channel, slot))
    this.#pruneIdle()
    this.#setUp(covered && moving?.size === 0 && ended.length === 0 && done && this.#allAt())
    return this.#up
  }

  /** Subscribe the channels of `slots` at `address`; true once all are confirmed there. */
  async #subscribeAt(address: string, slots: readonly number[]): Promise<boolean> {
    const node = this.#node(address, slots[0]!)
    if (node === undefined) return false
    for (const slot of slots) {
      const previous = this.#at[slot]
      if (previous !== undefined) this.#release(slot, previous)
      node.slots.add(slot)
    }
    // One failure for a master that cannot be reached, not one per slot.
    const connected = await node.client.then(
      () => undefined,
      (error: unknown) => error as Error,
    )
    if (connected !== undefined) return this.#failed(address, connected)
    const confirm = async (slot: number): Promise<void> => {
      await node.subscribe(slot, shardChannel(this.#deps.channel, slot), this.#deps.listener)
      // Confirmed on a connection still carrying the slot: nothing since dropped it unseen.
      if (this.#nodes.get(address) === node && node.slots.has(slot)) this.#at[slot] = address
    }
    // In chunks: thousands of subscriptions at once would hold the event loop (and the
    // process's other commands) for a few hundred ms.
    const results: PromiseSettledResult<void>[] = []
    for (let i = 0; i < slots.length && !this.#closed; i += SUBSCRIBE_CHUNK) {
      results.push(...(await Promise.allSettled(slots.slice(i, i + SUBSCRIBE_CHUNK).map(confirm))))
    }
    const failure = results.find((result) => result.status === 'rejected')
    if (failure !== undefined) return this.#failed(address, failure.reason as Error)
    this.#failing.delete(address)
    return true
  }

  /** Report a failure at `address` (once until it works again) and ask for a new slot map. */
  #failed(address: string, error: Error): false {
    if (this.#closed) return false
    if (!this.#failing.has(address)) this.#deps.onError(error)
    this.#failing.add(address)
    this.#deps.refreshSlots()
    return false
  }

  #node(address: string, slot: number): ShardNode | undefined {
    const existing = this.#nodes.get(address)
    if (existing !== undefined) return existing
    const master = this.#deps.cluster.slots[slot]?.master
    if (master === undefined) return undefined
    const node: ShardNode = new ShardNode(this.#deps.cluster, master, this.#deps.timeoutMs, {
      onLost: () => this.#lost(node),
      onMoved: (channel) => this.#moved(channel),
      onError: this.#deps.onError,
    })
    this.#nodes.set(address, node)
    return node
  }

  /** A connection dropped: every slot it carried may have missed notices. */
  #lost(node: ShardNode): void {
    if (this.#nodes.get(node.address) !== node) return
    this.#nodes.delete(node.address)
    for (const slot of node.slots) if (this.#at[slot] === node.address) this.#at[slot] = undefined
    this.#setUp(false)
    void node.close(this.#deps.onError)
    this.#deps.refreshSlots()
    this.#schedule(RETRY_INTERVAL_MS)
  }

  /** The server unsubscribed a channel whose slot left it (a migration). */
  #moved(channel: string): void {
    const slot = keySlot(channel)
    const address = this.#at[slot]
    if (address !== undefined) this.#release(slot, address)
    this.#setUp(false)
    this.#deps.refreshSlots()
    this.#schedule(RETRY_INTERVAL_MS)
  }

  #release(slot: number, address: string): void {
    this.#at[slot] = undefined
    this.#nodes.get(address)?.release(slot, shardChannel(this.#deps.channel, slot))
  }

  /** Close connections that carry no slot any more (an old master after a failover). */
  #pruneIdle(): void {
    for (const node of this.#nodes.values()) {
      if (node.slots.size > 0) continue
      this.#nodes.delete(node.address)
      void node.close(this.#deps.onError)
    }
  }

  #allAt(): boolean {
    const masters = this.#deps.cluster.slots
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const address = masters[slot]?.master.address
      if (address === undefined || this.#at[slot] !== address) return false
    }
    return true
  }

  #setUp(up: boolean): void {
    if (up === this.#up || this.#closed) return
    this.#up = up
    this.#deps.onUp(up)
  }

  #schedule(ms: number): void {
    if (this.#closed) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#tick(), ms)
    this.#timer.unref()
  }

  #tick(): void {
    void this.sync().then((up) => this.#schedule(up ? WATCH_INTERVAL_MS : RETRY_INTERVAL_MS))
  }
}
