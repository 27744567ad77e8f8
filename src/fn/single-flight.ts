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

/**
 * Flights are looked up by group (a namespace) and key: two map lookups with the caller's own
 * strings, so a joining caller never builds (and hashes) a combined key.
 */
export class SingleFlight {
  readonly #groups = new Map<string, Map<string, Flight<unknown>>>()

  /** The flight running for `key` in `group`, if any. */
  get<T>(group: string, key: string): Flight<T> | undefined {
    return this.#groups.get(group)?.get(key) as Flight<T> | undefined
  }

  /**
   * Join the flight for `key` in `group` (counting the caller in `joined`), or start one with
   * `work`. `onSettled` runs once when a flight started here settles, before any joiner resumes.
   */
  run<T>(
    group: string,
    key: string,
    work: () => Promise<T>,
    onSettled?: SettledListener<T>,
  ): { flight: Flight<T>; joined: boolean } {
    let flights = this.#groups.get(group)
    const existing = flights?.get(key) as Flight<T> | undefined
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
        this.#forget(group, key, flight)
        onSettled?.(flight, value)
        return value
      },
      (error: unknown) => {
        this.#forget(group, key, flight)
        onSettled?.(flight, undefined)
        throw error
      },
    )
    const flight: Flight<T> = { promise, joined: 0 }
    if (flights === undefined)
      this.#groups.set(group, (flights = new Map<string, Flight<unknown>>()))
    flights.set(key, flight)
    return { flight, joined: false }
  }

  /**
   * Detach the flight of `key` in `group` (every flight of the group when `key` is undefined,
   * every flight when `group` is too): it runs on and its callers get its outcome, but later
   * calls start a new flight instead of joining it (after an invalidation, defect 5 of issue 12).
   */
  detach(group?: string, key?: string): void {
    if (group === undefined) this.#groups.clear()
    else if (key === undefined) this.#groups.delete(group)
    else {
      const flights = this.#groups.get(group)
      flights?.delete(key)
      if (flights?.size === 0) this.#groups.delete(group)
    }
  }

  #forget(group: string, key: string, flight: Flight<unknown>): void {
    const flights = this.#groups.get(group)
    if (flights?.get(key) !== flight) return
    flights.delete(key)
    if (flights.size === 0) this.#groups.delete(group)
  }
}
