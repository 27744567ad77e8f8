import type { BreakerState } from '../observe/events.js'

/** Settings of the store's circuit breaker. */
export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  readonly threshold: number
  /** How long it stays open before letting one probe through, in ms. */
  readonly cooldownMs: number
}

/**
 * What `allow()` hands to an admitted call, to report its outcome with: the breaker's epoch
 * when the call was admitted (see CircuitBreaker). -1 means the call was refused.
 */
export type BreakerTicket = number

/** The ticket of a refused call. */
export const REFUSED: BreakerTicket = -1

/**
 * A circuit breaker for the store. While Redis is down, calls fail instantly (and are served
 * from the origin) instead of each paying the command timeout; after a cooldown one probe call
 * is let through, and its outcome closes or re-opens the breaker.
 *
 * Late results (issue 12): a call can take up to the command timeout, and the breaker may change
 * state meanwhile. Every state change starts a new epoch; a call reports its outcome with the
 * epoch it was admitted in, and an outcome from an earlier epoch changes nothing. So a slow call
 * sent while closed that succeeds after the breaker opened cannot close it (it says nothing
 * about Redis now), a slow call that fails while the half-open probe runs cannot be mistaken
 * for the probe's failure, and a failure from before a recovery does not count toward opening
 * the breaker again. In half-open exactly one call (the probe) is admitted, so the only outcome
 * of that epoch is the probe's.
 */
export class CircuitBreaker {
  readonly #settings: BreakerSettings
  readonly #onChange: (state: BreakerState, previous: BreakerState) => void
  readonly #now: () => number
  #state: BreakerState = 'closed'
  #epoch = 0
  #failures = 0
  #openedAt = 0
  #probing = false

  constructor(
    settings: BreakerSettings,
    onChange: (state: BreakerState, previous: BreakerState) => void,
    now: () => number = Date.now,
  ) {
    this.#settings = settings
    this.#onChange = onChange
    this.#now = now
  }

  /** The current state. */
  get state(): BreakerState {
    return this.#state
  }

  /**
   * Whether a call may go to the store now: a ticket to report its outcome with, or REFUSED
   * (negative). Claims the probe slot when half-open.
   */
  allow(): BreakerTicket {
    if (this.#state === 'closed') return this.#epoch
    if (this.#state === 'open') {
      if (this.#now() - this.#openedAt < this.#settings.cooldownMs) return REFUSED
      this.#transition('half-open')
    }
    if (this.#probing) return REFUSED
    this.#probing = true
    return this.#epoch
  }

  /**
   * Whether `allow()` would admit a call now; claims nothing (a call spanning several breakers
   * asks each before taking any ticket, so a refusal leaves no probe slot taken).
   */
  admits(): boolean {
    if (this.#state === 'closed') return true
    if (this.#state === 'open' && this.#now() - this.#openedAt < this.#settings.cooldownMs) {
      return false
    }
    return !this.#probing
  }

  /** Report a successful call, with the ticket `allow()` gave it. */
  success(ticket: BreakerTicket): void {
    if (ticket !== this.#epoch) return
    this.#failures = 0
    this.#probing = false
    if (this.#state !== 'closed') this.#transition('closed')
  }

  /** Report a failed call, with the ticket `allow()` gave it. */
  failure(ticket: BreakerTicket): void {
    if (ticket !== this.#epoch) return
    if (this.#state === 'half-open') return this.#open()
    this.#failures += 1
    if (this.#state === 'closed' && this.#failures >= this.#settings.threshold) this.#open()
  }

  #open(): void {
    this.#openedAt = this.#now()
    this.#transition('open')
  }

  #transition(state: BreakerState): void {
    const previous = this.#state
    if (previous === state) return
    this.#state = state
    this.#epoch++
    this.#failures = 0
    this.#probing = false
    this.#onChange(state, previous)
  }
}
