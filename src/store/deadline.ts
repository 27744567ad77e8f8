import { StoreTimeoutError } from '../errors.js'

/**
 * Settle with the operation, or reject with StoreTimeoutError after `timeoutMs` (and after the
 * I/O already waiting then, see afterPendingIo), whichever comes first. A late result is dropped (and a late rejection swallowed): the caller has moved on.
 * Other failures go through `mapError`.
 */
export function withDeadline<T>(
  operation: string,
  timeoutMs: number,
  work: Promise<T>,
  mapError: (error: unknown) => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => afterPendingIo(() => reject(new StoreTimeoutError(operation, timeoutMs))),
      timeoutMs,
    )
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(mapError(error))
      },
    )
  })
}

/**
 * Run `then` once the I/O already waiting has been handled. A deadline timer and the reply it
 * guards can become ready in the same turn of the event loop, when this process stalled (a long
 * GC pause, a blocking call, SIGSTOP) rather than the server: timers run before I/O callbacks,
 * so the reply that arrived in time would lose to the timer. Deferring the expiry past the poll
 * phase (setImmediate) lets it win; only a call whose reply really is late times out.
 */
function afterPendingIo(then: () => void): void {
  // Not unref'd: an unref'd immediate does not stop the poll phase from blocking, so it would
  // run only when something else wakes the loop.
  setImmediate(then)
}

/** One call waiting for its result or its deadline. */
interface Pending {
  readonly operation: string
  readonly deadline: number
  readonly reject: (error: Error) => void
  /** Called when the deadline passed first (to drop work that has not started yet). */
  readonly onExpire: (() => void) | undefined
  settled: boolean
}

/**
 * `withDeadline` for a stream of calls that all share one timeout (every command of a store).
 * Their deadlines then come in the order the calls start, so one queue and one timer, armed for
 * the oldest call still pending, bound them all: a call costs an array push instead of arming
 * and clearing a timer of its own. The timer is unref'd (a pending command keeps its connection,
 * and so the process, alive anyway) and cleared by `close()`.
 */
export class DeadlineQueue {
  readonly #timeoutMs: number
  readonly #mapError: (operation: string, error: unknown) => Error
  #queue: Pending[] = []
  #head = 0
  #timer: NodeJS.Timeout | undefined

  /** `mapError` turns the failure of an operation into the error its caller sees. */
  constructor(timeoutMs: number, mapError: (operation: string, error: unknown) => Error) {
    this.#timeoutMs = timeoutMs
    this.#mapError = mapError
  }

  /**
   * Settle with `work`, or reject with StoreTimeoutError once the shared timeout has passed (and
   * then call `onExpire`).
   */
  race<T>(operation: string, work: Promise<T>, onExpire?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        operation,
        deadline: performance.now() + this.#timeoutMs,
        reject,
        onExpire,
        settled: false,
      }
      this.#queue.push(pending)
      this.#timer ??= this.#arm(this.#timeoutMs)
      work.then(
        (value) => {
          this.#settle(pending)
          resolve(value)
        },
        (error: unknown) => {
          this.#settle(pending)
          reject(this.#mapError(operation, error))
        },
      )
    })
  }

  /** Stop the timer; calls still pending are left to settle by themselves. */
  close(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#queue = []
    this.#head = 0
  }

  #settle(pending: Pending): void {
    pending.settled = true
    // Calls mostly finish in the order they started: drop finished ones from the front.
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.settled) this.#head++
    this.#compact()
  }

  #arm(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(
      () => afterPendingIo(() => this.#expire()),
      Math.max(1, Math.ceil(delayMs)),
    )
    timer.unref()
    return timer
  }

  /** Reject every call whose deadline has passed; re-arm for the oldest one still pending. */
  #expire(): void {
    this.#timer = undefined
    const now = performance.now()
    while (this.#head < this.#queue.length) {
      const pending = this.#queue[this.#head]!
      if (!pending.settled && pending.deadline > now) break
      this.#head++
      if (pending.settled) continue
      pending.settled = true
      pending.reject(new StoreTimeoutError(pending.operation, this.#timeoutMs))
      pending.onExpire?.()
    }
    this.#compact()
    const oldest = this.#queue[this.#head]
    if (oldest !== undefined) this.#timer = this.#arm(oldest.deadline - now)
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
  }
}
