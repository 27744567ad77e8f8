import { setTimeout as delay } from 'node:timers/promises'

/**
 * Time-based waiting, for the few things that are time by nature (TTL expiry, timeouts under
 * test). Never use it to wait for something that has an event.
 */
export function sleep(ms: number): Promise<void> {
  return delay(ms)
}

/** A promise with its resolve/reject exposed, to turn callbacks into awaitable events. */
export interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(error: Error): void
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: Error) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/**
 * A function a test holds until it releases it with a value: `started` resolves when it is
 * called, so a test can act while the computation is in flight.
 */
export function heldFunction<T>(): {
  fn: () => Promise<T>
  started: Promise<void>
  release: (value: T) => void
} {
  const started = deferred()
  const value = deferred<T>()
  return {
    fn: () => {
      started.resolve()
      return value.promise
    },
    started: started.promise,
    release: (result) => value.resolve(result),
  }
}

/** Collects values pushed by a callback; `next(n)` resolves once n values have arrived. */
export class Collector<T> {
  readonly items: T[] = []
  readonly #waiters: { count: number; done: Deferred<T[]> }[] = []

  push = (item: T): void => {
    this.items.push(item)
    for (const waiter of [...this.#waiters]) {
      if (this.items.length >= waiter.count) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        waiter.done.resolve(this.items.slice())
      }
    }
  }

  /** Resolves with all items once at least `count` have arrived (rejects after timeoutMs). */
  async next(count: number, timeoutMs = 5_000): Promise<T[]> {
    if (this.items.length >= count) return this.items.slice()
    const done = deferred<T[]>()
    this.#waiters.push({ count, done })
    const timer = setTimeout(
      () => done.reject(new Error(`expected ${count} items, got ${this.items.length}`)),
      timeoutMs,
    )
    try {
      return await done.promise
    } finally {
      clearTimeout(timer)
    }
  }
}

/** Resolves when `emitter` emits `event` with a payload matching `filter` (or rejects on timeout). */
export function nextEvent<T>(
  emitter: {
    on(event: string, l: (p: T) => void): unknown
    off(event: string, l: (p: T) => void): unknown
  },
  event: string,
  filter: (payload: T) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (payload: T): void => {
      if (!filter(payload)) return
      clearTimeout(timer)
      emitter.off(event, listener)
      resolve(payload)
    }
    const timer = setTimeout(() => {
      emitter.off(event, listener)
      reject(new Error(`no ${event} event within ${timeoutMs} ms`))
    }, timeoutMs)
    emitter.on(event, listener)
  })
}
