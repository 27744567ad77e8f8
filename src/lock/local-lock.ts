import { randomBytes } from 'node:crypto'
import type { DistributedLock, LockHandle, LockHealth } from './lock.js'

interface Held {
  token: string
  expiresAt: number
}

const perOwner = new WeakMap<object, LocalLock>()

/**
 * The lock for the memory store: the same contract, inside one process. Caches sharing one
 * memory store share one LocalLock (see `LocalLock.for`).
 */
export class LocalLock implements DistributedLock {
  readonly #held = new Map<string, Held>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** The lock shared by everything that uses `owner` (a store). */
  static for(owner: object): LocalLock {
    let lock = perOwner.get(owner)
    if (lock === undefined) {
      lock = new LocalLock()
      perOwner.set(owner, lock)
    }
    return lock
  }

  tryAcquire(resource: string, ttlMs: number): Promise<LockHandle | undefined> {
    if (this.#live(resource) !== undefined) return Promise.resolve(undefined)
    const held = { token: randomBytes(8).toString('hex'), expiresAt: this.#now() + ttlMs }
    this.#held.set(resource, held)
    return Promise.resolve({
      extend: (ms: number) => {
        const ok = this.#live(resource)?.token === held.token
        if (ok) held.expiresAt = this.#now() + ms
        return Promise.resolve(ok)
      },
      release: () => {
        if (this.#held.get(resource)?.token === held.token) this.#held.delete(resource)
        return Promise.resolve()
      },
    })
  }

  remaining(resource: string): Promise<number> {
    const held = this.#live(resource)
    return Promise.resolve(held === undefined ? 0 : held.expiresAt - this.#now())
  }

  health(): Promise<LockHealth> {
    return Promise.resolve({ nodes: [{ up: true, latencyMs: 0 }], quorum: true })
  }

  close(): Promise<void> {
    return Promise.resolve()
  }

  #live(resource: string): Held | undefined {
    const held = this.#held.get(resource)
    if (held !== undefined && held.expiresAt <= this.#now()) {
      this.#held.delete(resource)
      return undefined
    }
    return held
  }
}
