import type { SubscriptionState } from './store.js'

/**
 * The state of a subscription made of parts (on a cluster: the classic channel and the shard
 * channels): up while every part is. Its listeners hear `lost` when the first part goes down and
 * `restored` when the last one comes back.
 */
export class SubscriptionParts {
  readonly listeners = new Set<(state: SubscriptionState) => void>()
  readonly #down = new Set<string>()

  /** Record that `part` went down or came back up. */
  set(part: string, up: boolean): void {
    const wasUp = this.#down.size === 0
    if (up) this.#down.delete(part)
    else this.#down.add(part)
    const isUp = this.#down.size === 0
    if (isUp === wasUp) return
    for (const listener of this.listeners) listener(isUp ? 'restored' : 'lost')
  }
}
