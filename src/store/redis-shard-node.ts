import { withDeadline } from './deadline.js'
import { closeClient, type RedisClient, type RedisCluster } from './redis-client.js'

/** A master as the cluster's slot map gives it. */
export type ClusterMaster = RedisCluster['masters'][number]

/** What a node subscription reports to its subscriber. */
export interface ShardNodeEvents {
  /** The connection dropped (or never came up): what it carried may have missed notices. */
  readonly onLost: () => void
  /** The server dropped a shard channel whose slot left this master (a migration). */
  readonly onMoved: (channel: string) => void
  readonly onError: (error: Error) => void
}

/**
 * One subscriber connection to a master, for the shard channels of the slots it carries (see
 * `redis-shard-subscriber.ts`). It is a duplicate of the cluster's own client for that master,
 * so it has the cluster's options (credentials, TLS). It is never left to reconnect and
 * resubscribe by itself: a drop is reported and the connection discarded, and the subscriber
 * makes a new one, so a subscription counts only once a live connection confirmed it.
 */
export class ShardNode {
  readonly address: string
  /** The slots whose channel this connection carries or is subscribing. */
  readonly slots = new Set<number>()
  readonly #client: Promise<RedisClient>
  readonly #pending = new Map<number, Promise<void>>()
  /** The connection being made or made (destroyed if close() comes first). */
  #attempt: RedisClient | undefined
  #closed = false

  constructor(
    cluster: RedisCluster,
    master: ClusterMaster,
    timeoutMs: number,
    events: ShardNodeEvents,
  ) {
    this.address = master.address
    this.#client = this.#connect(cluster, master, timeoutMs, events)
    this.#client.catch(() => events.onLost())
  }

  /** The connection, once up; rejects when it could not be made in time. */
  get client(): Promise<RedisClient> {
    return this.#client
  }

  /**
   * Subscribe `channel` (of `slot`); resolves once the master confirmed it. A slot already being
   * subscribed shares that command: subscribing again while the first is unanswered would
   * resolve at once (node-redis sends nothing for a channel it already lists).
   */
  subscribe(slot: number, channel: string, listener: (message: string) => void): Promise<void> {
    let pending = this.#pending.get(slot)
    if (pending === undefined) {
      pending = this.#client
        .then((client) => client.sSubscribe(channel, listener))
        .finally(() => this.#pending.delete(slot))
      this.#pending.set(slot, pending)
    }
    return pending
  }

  /** Stop carrying `slot`; unsubscribe its channel if the server did not drop it already. */
  release(slot: number, channel: string): void {
    if (!this.slots.delete(slot)) return
    void this.#client
      .then((client) => (client.isReady ? client.sUnsubscribe(channel) : undefined))
      .catch(() => undefined)
  }

  async close(onError: (error: Error) => void): Promise<void> {
    this.#closed = true
    // Still connecting: end the attempt now rather than wait for it.
    if (this.#attempt !== undefined && !this.#attempt.isReady) this.#attempt.destroy()
    const client = await this.#client.catch(() => undefined)
    if (client !== undefined) await closeClient(client, onError)
  }

  /** Connect within `timeoutMs`; an attempt that takes longer, or outlives close(), is destroyed. */
  async #connect(
    cluster: RedisCluster,
    master: ClusterMaster,
    timeoutMs: number,
    events: ShardNodeEvents,
  ): Promise<RedisClient> {
    let abandoned = false
    const gone = (): boolean => abandoned || this.#closed
    const opening = (async () => {
      const base = await cluster.nodeClient(master)
      if (gone()) throw new Error('abandoned')
      const client = (this.#attempt = base.duplicate() as RedisClient)
      let wasReady = false
      client.on('ready', () => (wasReady = true))
      client.on('error', (error: Error) => {
        // A failed connection attempt is reported by the subscriber (once until it works: it
        // retries every 100 ms); a live connection that drops is reported here.
        if (!gone() && wasReady) events.onError(error)
        if (!client.isReady) events.onLost()
      })
      client.on('reconnecting', events.onLost)
      client.on('sharded-channel-moved', events.onMoved)
      await client.connect()
      if (gone()) throw new Error('abandoned')
      return client
    })()
    const fail = (error: unknown): Error => error as Error
    const connected = await withDeadline('subscribe', timeoutMs, opening, fail).catch(
      () => undefined,
    )
    if (connected !== undefined) return connected
    abandoned = true
    opening.catch(() => undefined)
    this.#attempt?.destroy()
    throw new Error(`no subscriber connection to ${master.address}`)
  }
}
