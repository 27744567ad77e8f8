/**
 * In-process single flight: concurrent calls for one key share one promise, so a process never
 * computes (or even reads) the same key twice at once. Every caller gets the same value or the
 * same error.
 */

/** One running flight. */
export interface Flight<T> {
  /** The shared outcome. */
  readonly promise: Promise<T>
  /** How many callers joined it after it started. */
  joined: number
  /** A derived promise shared by every caller that wants the same projection (e.g. the value). */
  derived?: Promise<unknown>
}

/** Called once a flight settles, with the flight and its value (undefined after a failure). */
export type SettledListener<T> = (flight: Flight<T>, value: T | undefined) => void

export class SingleFlight {
  readonly #flights = new Map<string, Flight<unknown>>()

  /** Whether a flight for `key` is running. */
  has(key: string): boolean {
    return this.#flights.has(key)
  }

  /** The flight running for `key`, if any. */
  get<T>(key: string): Flight<T> | undefined {
    return this.#flights.get(key) as Flight<T> | undefined
  }

  /** Number of flights in progress. */
  get size(): number {
    return this.#flights.size
  }

  /**
   * Join the flight for `key` (counting the caller in `joined`), or start one with `work`.
   * `onSettled` runs once when a flight started here settles, before any joiner resumes.
   */
  run<T>(
    key: string,
    work: () => Promise<T>,
    onSettled?: SettledListener<T>,
  ): { flight: Flight<T>; joined: boolean } {
    const existing = this.#flights.get(key) as Flight<T> | undefined
    if (existing !== undefined) {
      existing.joined++
      return { flight: existing, joined: true }
    }
    let started: Promise<T>
    try {
      started = work()
    } catch (error) {
      started = Promise.reject(error)
    }
    // One handler pair, attached first: it runs before any joiner resumes.
    const promise = started.then(
      (value) => {
        this.#forget(key, flight)
        onSettled?.(flight, value)
        return value
      },
      (error: unknown) => {
        this.#forget(key, flight)
        onSettled?.(flight, undefined)
        throw error
      },
    )
    const flight: Flight<T> = { promise, joined: 0 }
    this.#flights.set(key, flight)
    return { flight, joined: false }
  }

  #forget(key: string, flight: Flight<unknown>): void {
    if (this.#flights.get(key) === flight) this.#flights.delete(key)
  }
}
