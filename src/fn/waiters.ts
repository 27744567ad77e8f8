import { isKeyMessage, type Bus, type KeyMessage } from '../bus/bus.js'

/** Why a waiter woke up. */
export type Wake =
  | { readonly by: 'message'; readonly message: KeyMessage }
  | { readonly by: 'poll' }
  | { readonly by: 'aborted' }

/** One waiting computation, registered before its re-check so no notice can be missed. */
export interface Waiter {
  /** Resolves with the next notice for the key, or `poll` after `delayMs`. */
  next(delayMs: number): Promise<Wake>
  /** Stop waiting (always call it, in a finally). */
  close(): void
}

interface Slot {
  pending: KeyMessage | undefined
  wake: ((wake: Wake) => void) | undefined
}

/**
 * Routes bus notices ("written", "failed", "pass", "deleted") to the computations waiting for
 * another instance's result on that key. A notice that arrives between two waits is kept, so it
 * is never lost.
 */
export class WaiterRegistry {
  readonly #slots = new Map<string, Set<Slot>>()

  constructor(bus: Bus) {
    bus.listen((message) => {
      if (isKeyMessage(message)) this.#deliver(message.key, message)
    })
  }

  /** Number of keys being waited for. */
  get size(): number {
    return this.#slots.size
  }

  register(key: string, signal?: AbortSignal): Waiter {
    const slot: Slot = { pending: undefined, wake: undefined }
    let slots = this.#slots.get(key)
    if (slots === undefined) {
      slots = new Set()
      this.#slots.set(key, slots)
    }
    slots.add(slot)
    return {
      next: (delayMs) => this.#next(slot, delayMs, signal),
      close: () => {
        slots.delete(slot)
        if (slots.size === 0 && this.#slots.get(key) === slots) this.#slots.delete(key)
      },
    }
  }

  #next(slot: Slot, delayMs: number, signal: AbortSignal | undefined): Promise<Wake> {
    if (slot.pending !== undefined) {
      const message = slot.pending
      slot.pending = undefined
      return Promise.resolve({ by: 'message', message })
    }
    if (signal?.aborted === true) return Promise.resolve({ by: 'aborted' })
    return new Promise<Wake>((resolve) => {
      const finish = (wake: Wake): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        slot.wake = undefined
        resolve(wake)
      }
      const onAbort = (): void => finish({ by: 'aborted' })
      const timer = setTimeout(() => finish({ by: 'poll' }), delayMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      slot.wake = finish
    })
  }

  #deliver(key: string, message: KeyMessage): void {
    const slots = this.#slots.get(key)
    if (slots === undefined) return
    for (const slot of slots) {
      if (slot.wake !== undefined) slot.wake({ by: 'message', message })
      else slot.pending = message
    }
  }
}
