import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { encodeEnvelopeParts } from '../codec/envelope.js'
import type { Store } from '../store/store.js'

/** A case body: the store, and the key prefix this case owns. */
export type StoreCaseBody = (store: Store, prefix: string) => Promise<void>

/** Time passing, for what is time by nature (TTL expiry); never to wait for an event. */
export function sleep(ms: number): Promise<void> {
  return delay(ms)
}

/** A key prefix no other run (or case) shares: `<base>:<12 hex>`. */
export function uniqueKeyPrefix(base: string): string {
  return `${base}:${randomBytes(6).toString('hex')}`
}

/** The two parts of a stored entry (header and body), as the entry scripts take them. */
export function entryParts(freshUntil: number, body: string): { head: Buffer; tail: Buffer } {
  return encodeEnvelopeParts(
    { createdAt: 1, freshUntil, staleUntil: freshUntil, kind: 'value', codec: 'tj1', tags: [] },
    Buffer.from(body),
  )
}

/** Collects the messages a subscription receives; `next(n)` waits until n have arrived. */
export class MessageLog {
  readonly items: string[] = []
  readonly #waiters: { count: number; done: () => void }[] = []

  /** The listener to subscribe. */
  readonly push = (message: string): void => {
    this.items.push(message)
    for (const waiter of [...this.#waiters]) {
      if (this.items.length < waiter.count) continue
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
      waiter.done()
    }
  }

  /** Resolves with every message once `count` have arrived; rejects after `timeoutMs`. */
  async next(count: number, timeoutMs = 5_000): Promise<string[]> {
    if (this.items.length < count) {
      let timer: NodeJS.Timeout | undefined
      try {
        await new Promise<void>((resolve, reject) => {
          const waiter = { count, done: resolve }
          this.#waiters.push(waiter)
          timer = setTimeout(() => {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
            reject(new Error(`expected ${count} messages, got ${this.items.length}`))
          }, timeoutMs)
        })
      } finally {
        clearTimeout(timer)
      }
    }
    return this.items.slice()
  }
}
