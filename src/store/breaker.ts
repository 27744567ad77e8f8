import type { BreakerState } from '../observe/events.js'

/** Settings of the store's circuit breaker. */
export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  readonly threshold: number
  /** How long it stays open before letting one probe through, in ms. */
  readonly cooldownMs: number
}

/**
 * A circuit breaker for the store. While Redis is down, calls fail instantly (and are served
 * from the origin) instead of each paying the command timeout; after a cooldown one probe call
 * is let through, and its outcome closes or re-opens the breaker.
 */
export class CircuitBreaker {
  readonly #settings: BreakerSettings
  readonly #onChange: (state: BreakerState, previous: BreakerState) => void
  readonly #now: () => number
  #state: BreakerState = 'closed'
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

  /** Whether a call may go to the store now. Claims the probe slot when half-open. */
  allow(): boolean {
    if (this.#state === 'closed') return true
    if (this.#state === 'open') {
      if (this.#now() - this.#openedAt < this.#settings.cooldownMs) return false
      this.#transition('half-open')
    }
    if (this.#probing) return false
    this.#probing = true
    return true
  }

  /** Report a successful call. */
  success(): void {
    this.#failures = 0
    this.#probing = false
    if (this.#state !== 'closed') this.#transition('closed')
  }

  /** Report a failed call. */
  failure(): void {
    this.#failures += 1
    const wasProbe = this.#probing
    this.#probing = false
    if (this.#state === 'half-open' && wasProbe) return this.#open()
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
    this.#onChange(state, previous)
  }
}
