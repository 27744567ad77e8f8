import type { CacheEvents } from '../observe/events.js'
import type { Store, SubscriptionState, Unsubscribe } from '../store/store.js'

/**
 * The pub/sub bus: one channel per prefix (and on a Redis 7 cluster its shard channels, one per
 * slot: see `Store.noticeChannel`), one subscription per cache instance. It carries
 * "written", "deleted", "failed" and "pass" notices for single keys (which wake waiters and keep
 * L1 tiers coherent), "cleared" notices for namespace-wide invalidations and "untagged" notices
 * for tag invalidations (every L1 drops the entries carrying the tags). Pub/sub can drop
 * messages, so nothing relies on it alone: waiters also poll, L1 entries are short-lived.
 */

/** An error as it travels between instances. */
export interface WireError {
  readonly name: string
  readonly message: string
  readonly code?: string
}

/** A message on the bus. `origin` is the sending cache instance. */
export type BusMessage =
  | {
      readonly type: 'written' | 'deleted'
      readonly origin: string
      readonly key: string
      readonly fence: number
    }
  | {
      readonly type: 'failed'
      readonly origin: string
      readonly key: string
      readonly error: WireError
    }
  | { readonly type: 'pass'; readonly origin: string; readonly key: string }
  | { readonly type: 'cleared'; readonly origin: string; readonly namespace: string }
  | { readonly type: 'untagged'; readonly origin: string; readonly tags: readonly string[] }

/** A notice about one key (written, deleted, failed, pass): what waiters listen for. */
export type KeyMessage = Extract<BusMessage, { readonly key: string }>

/** Whether a message is about one key. */
export function isKeyMessage(message: BusMessage): message is KeyMessage {
  return 'key' in message
}

/** A message split around its fence number, for scripts that assign the fence. */
export interface MessageFrame {
  readonly head: string
  readonly tail: string
}

const SHORT: Record<BusMessage['type'], string> = {
  written: 'w',
  deleted: 'd',
  failed: 'x',
  pass: 'p',
  cleared: 'c',
  untagged: 'g',
}
const LONG = Object.fromEntries(Object.entries(SHORT).map(([k, v]) => [v, k])) as Record<
  string,
  BusMessage['type']
>

/** Encodes, sends, receives and dispatches bus messages. */
export class Bus {
  readonly channel: string
  readonly origin: string
  readonly #store: Store
  readonly #events: CacheEvents
  readonly #listeners = new Set<(message: BusMessage) => void>()
  readonly #stateListeners = new Set<(state: SubscriptionState) => void>()
  #unsubscribe: Unsubscribe | undefined
  #closed = false
  #retry: NodeJS.Timeout | undefined
  #subscribed = false
  readonly #ready: Promise<void>
  #markReady: () => void = () => undefined

  constructor(store: Store, channel: string, origin: string, events: CacheEvents) {
    this.#store = store
    this.channel = channel
    this.origin = origin
    this.#events = events
    this.#ready = new Promise((resolve) => (this.#markReady = resolve))
  }

  /** Resolves once the subscription is active (it never rejects; it may never resolve). */
  get ready(): Promise<void> {
    return this.#ready
  }

  /** Whether the subscription is active. */
  get subscribed(): boolean {
    return this.#subscribed
  }

  /** Subscribe in the background, retrying with backoff until it works or the bus closes. */
  start(attempt = 0): void {
    if (this.#closed) return
    this.#store
      .subscribe(
        this.channel,
        (raw) => this.#receive(raw),
        (state) => this.#changed(state),
      )
      .then(
        async (unsubscribe) => {
          this.#unsubscribe = unsubscribe
          if (this.#closed) return unsubscribe()
          this.#changed('restored')
          this.#markReady()
        },
        (error: unknown) => {
          if (this.#closed) return
          this.#events.emit('error', {
            source: 'bus',
            operation: 'subscribe',
            error: error as Error,
          })
          this.#retry = setTimeout(
            () => this.start(attempt + 1),
            Math.min(100 * 2 ** attempt, 2_000),
          )
          this.#retry.unref()
        },
      )
  }

  /**
   * Hear when the subscription comes up (`restored`, also the first time) and when it is lost:
   * notices published in between are missed.
   */
  onSubscription(listener: (state: SubscriptionState) => void): void {
    this.#stateListeners.add(listener)
  }

  /** Listen to every message from other instances. */
  listen(listener: (message: BusMessage) => void): void {
    this.#listeners.add(listener)
  }

  /**
   * The channel of a notice about the store key `key`: where a script touching that key
   * publishes it. On a Redis 7 cluster a shard channel of the key's slot (the notice then costs
   * one shard), else the bus channel. Every instance listens to both.
   */
  channelFor(key: string): string {
    return this.#store.noticeChannel?.(this.channel, key) ?? this.channel
  }

  /** The frame of a written/deleted notice for `key`, for the write and delete scripts. */
  frame(type: 'written' | 'deleted', key: string): MessageFrame {
    return {
      head: `{"t":"${SHORT[type]}","o":${JSON.stringify(this.origin)},"f":`,
      tail: `,"k":${JSON.stringify(key)}}`,
    }
  }

  /** The message as it travels on the channel. */
  encode(message: BusMessage): string {
    return encode(message)
  }

  /** Publish a message from this instance; failures are reported, and thrown when `strict`. */
  async publish(message: BusMessage, strict = false): Promise<void> {
    try {
      const about = 'key' in message ? message.key : this.origin
      await this.#store.publish(this.channelFor(about), encode(message))
    } catch (error) {
      this.#events.emit('error', { source: 'bus', operation: 'publish', error: error as Error })
      if (strict) throw error
    }
  }

  /** Stop listening. */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retry)
    this.#listeners.clear()
    this.#stateListeners.clear()
    await this.#unsubscribe?.()
  }

  #changed(state: SubscriptionState): void {
    if (this.#closed) return
    // A drop is reported once, however many errors the reconnect attempts raise.
    if (state === 'lost' && !this.#subscribed) return
    this.#subscribed = state === 'restored'
    for (const listener of this.#stateListeners) listener(state)
  }

  #receive(raw: string): void {
    const message = decode(raw)
    if (message === undefined || message.origin === this.origin) return
    for (const listener of this.#listeners) listener(message)
  }
}

function encode(message: BusMessage): string {
  const { type, origin, ...rest } = message
  const body: Record<string, unknown> = { t: SHORT[type], o: origin }
  if ('key' in rest) body['k'] = rest.key
  if ('fence' in rest) body['f'] = rest.fence
  if ('error' in rest) body['e'] = rest.error
  if ('namespace' in rest) body['n'] = rest.namespace
  if ('tags' in rest) body['g'] = rest.tags
  return JSON.stringify(body)
}

/** Parse a message; anything malformed or foreign is ignored (undefined). */
export function decode(raw: string): BusMessage | undefined {
  let body: Record<string, unknown>
  try {
    body = JSON.parse(raw) as Record<string, unknown>
  } catch {
    return undefined
  }
  const type = LONG[String(body['t'])]
  const origin = body['o']
  if (type === undefined || typeof origin !== 'string') return undefined
  const key = body['k']
  if (type === 'cleared') {
    return typeof body['n'] === 'string' ? { type, origin, namespace: body['n'] } : undefined
  }
  if (type === 'untagged') return decodeTags(origin, body['g'])
  if (typeof key !== 'string') return undefined
  if (type === 'pass') return { type, origin, key }
  if (type === 'failed') return decodeFailure(origin, key, body['e'])
  const fence = body['f']
  return typeof fence === 'number' ? { type, origin, key, fence } : undefined
}

function decodeTags(origin: string, tags: unknown): BusMessage | undefined {
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) return undefined
  return { type: 'untagged', origin, tags }
}

function decodeFailure(origin: string, key: string, error: unknown): BusMessage | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { name, message, code } = error as Record<string, unknown>
  if (typeof name !== 'string' || typeof message !== 'string') return undefined
  const wire: WireError = typeof code === 'string' ? { name, message, code } : { name, message }
  return { type: 'failed', origin, key, error: wire }
}
