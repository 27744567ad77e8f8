/** A pino-compatible logger: each method takes a context object and a message. */
export interface Logger {
  /** Log at debug level: `context` is a plain object of fields, `message` the text. */
  debug(context: object, message: string): void
  /** Log at info level (e.g. a component is back up). */
  info(context: object, message: string): void
  /** Log at warn level (e.g. a component went down; the cache fails open). */
  warn(context: object, message: string): void
  /** Log at error level. */
  error(context: object, message: string): void
}

/** Health of one infrastructure component, as far as the logger is concerned. */
type ComponentState = 'up' | 'down'

/**
 * Logs infrastructure problems once per state change (up → down, down → up), never once per
 * request: a Redis outage under load produces two log lines, not thousands.
 */
export class StateLog {
  readonly #logger: Logger | undefined
  readonly #states = new Map<string, ComponentState>()

  constructor(logger: Logger | undefined) {
    this.#logger = logger
  }

  /** Record a failure of a component; logs only when it was not already down. */
  down(component: string, error: Error): void {
    if (this.#states.get(component) === 'down') return
    this.#states.set(component, 'down')
    this.#logger?.warn(
      { component, err: { name: error.name, message: error.message } },
      `herdlock: ${component} unavailable, failing open`,
    )
  }

  /** Record that a component works; logs only when it was down. */
  up(component: string): void {
    if (this.#states.get(component) !== 'down') return
    this.#states.set(component, 'up')
    this.#logger?.info({ component }, `herdlock: ${component} recovered`)
  }
}
