/**
 * In-process single flight: concurrent calls for one key share one promise, so a process never
 * computes (or even reads) the same key twice at once. Every caller gets the same value or the
 * same error.
 */
export class SingleFlight {
  readonly #flights = new Map<string, Promise<unknown>>()

  /** Whether a flight for `key` is running. */
  has(key: string): boolean {
    return this.#flights.has(key)
  }

  /** The flight running for `key`, if any. */
  get<T>(key: string): Promise<T> | undefined {
    return this.#flights.get(key) as Promise<T> | undefined
  }

  /** Number of flights in progress. */
  get size(): number {
    return this.#flights.size
  }

  /**
   * Join the flight for `key`, or start one with `work`. `joined` tells the caller whether it
   * shared an existing flight.
   */
  run<T>(key: string, work: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const existing = this.#flights.get(key) as Promise<T> | undefined
    if (existing !== undefined) return { promise: existing, joined: true }
    let started: Promise<T>
    try {
      started = work()
    } catch (error) {
      started = Promise.reject(error)
    }
    // One handler pair, attached first: it runs before any joiner resumes.
    const promise = started.then(
      (value) => {
        this.#forget(key, promise)
        return value
      },
      (error: unknown) => {
        this.#forget(key, promise)
        throw error
      },
    )
    this.#flights.set(key, promise)
    return { promise, joined: false }
  }

  #forget(key: string, promise: Promise<unknown>): void {
    if (this.#flights.get(key) === promise) this.#flights.delete(key)
  }
}
