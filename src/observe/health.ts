import type { StoreBreakers } from '../store/breakers.js'
import type { Bus } from '../bus/bus.js'
import type { BreakerState } from './events.js'
import type { DistributedLock, LockHealth } from '../lock/lock.js'
import type { Store } from '../store/store.js'
import { withDeadline } from '../store/deadline.js'

/** Overall verdict: `down` when the store does not answer, `degraded` when anything else is off. */
export type HealthStatus = 'ok' | 'degraded' | 'down'

/** One probed component. Errors are sanitized: no credentials, no keys, at most 200 chars. */
export interface ComponentHealth {
  /** Whether the component answered within the probe's deadline. */
  readonly up: boolean
  /** Round trip of the probe, in ms; null when it failed. */
  readonly latencyMs: number | null
  /** Why it is down (sanitized); absent when up. */
  readonly error?: string
}

/** `Cache#health()`: the result of one probe of every component, cached for `health.interval`. */
export interface HealthReport {
  /**
   * `ok`: everything answers; `degraded`: the store answers but something else is off (the
   * subscriber, a lock node or the quorum, an open breaker); `down`: the store does not answer.
   */
  readonly status: HealthStatus
  /** When the probe started, ISO 8601. */
  readonly checkedAt: string
  /** The store: a PING round trip. */
  readonly store: ComponentHealth & {
    /** Which store implementation the cache uses. */
    readonly kind: 'redis' | 'memory'
  }
  /** The pub/sub subscription (invalidations, wake-ups of waiting callers). */
  readonly subscriber: {
    /** Whether the subscription is in place. */
    readonly up: boolean
  }
  /**
   * Each lock node in configuration order (by index, never by URL) and whether a majority
   * answered; `error` when the lock as a whole gave no answer in time.
   */
  readonly lock: {
    /** Whether a majority of the lock nodes answered. */
    readonly quorum: boolean
    /** One entry per lock node, in configuration order. */
    readonly nodes: readonly ComponentHealth[]
    /** Why the lock gave no answer in time, when it did not. */
    readonly error?: string
  }
  /** The store's circuit breaker. */
  readonly breaker: {
    /** Its state, or `disabled` when the cache was created with `breaker: false`. */
    readonly state: BreakerState | 'disabled'
  }
  /**
   * Why the status is not `ok`, one line per problem (component and symptom; error details are
   * in the component fields); empty when all is well.
   */
  readonly problems: readonly string[]
}

/** What the probe looks at. */
export interface HealthDeps {
  readonly store: Store
  readonly bus: Bus
  readonly lock: DistributedLock
  readonly breaker: StoreBreakers | undefined
}

/** Probe settings, in ms. */
export interface HealthSettings {
  /** How long a report is reused before the next probe. */
  readonly intervalMs: number
  /** Deadline of each probe (store PING, lock nodes). */
  readonly timeoutMs: number
}

/**
 * Probes the store, the subscriber, the lock nodes and the breaker with short deadlines, and
 * caches the report for `intervalMs`: however often a status endpoint is hit, Redis sees at most
 * one PING per interval (concurrent callers share one probe).
 */
export class HealthProbe {
  readonly #deps: HealthDeps
  readonly #settings: HealthSettings
  #last: { readonly startedAt: number; readonly report: HealthReport } | undefined
  #pending: Promise<HealthReport> | undefined
  #closed = false

  constructor(deps: HealthDeps, settings: HealthSettings) {
    this.#deps = deps
    this.#settings = settings
  }

  /** The latest report, probing again when it is older than the interval. Never rejects. */
  check(): Promise<HealthReport> {
    if (this.#closed) return Promise.resolve(closedReport(this.#deps))
    const now = performance.now()
    if (this.#last !== undefined && now - this.#last.startedAt < this.#settings.intervalMs) {
      return Promise.resolve(this.#last.report)
    }
    this.#pending ??= this.#probe(now).finally(() => (this.#pending = undefined))
    return this.#pending
  }

  /** From now on, report the cache as closed (down) without probing. */
  close(): void {
    this.#closed = true
  }

  async #probe(startedAt: number): Promise<HealthReport> {
    const checkedAt = new Date().toISOString()
    const [store, lock] = await Promise.all([this.#probeStore(), this.#probeLock()])
    const subscriber = { up: this.#subscribed() }
    const breaker = { state: this.#deps.breaker?.state ?? ('disabled' as const) }
    const problems = describeProblems(store, subscriber.up, lock, breaker.state)
    const status: HealthStatus = !store.up ? 'down' : problems.length > 0 ? 'degraded' : 'ok'
    const report = { status, checkedAt, store, subscriber, lock, breaker, problems }
    if (!this.#closed) this.#last = { startedAt, report }
    return report
  }

  #subscribed(): boolean {
    try {
      return this.#deps.bus.subscribed && this.#deps.store.status().subscriberReady
    } catch {
      // A custom Store without status(): a probe must report, never throw.
      return false
    }
  }

  async #probeStore(): Promise<HealthReport['store']> {
    const kind = this.#deps.store.kind
    try {
      const latencyMs = await deadline(this.#deps.store.ping(), this.#settings.timeoutMs)
      return { kind, up: true, latencyMs: round(latencyMs) }
    } catch (error) {
      return { kind, up: false, latencyMs: null, error: sanitize(error) }
    }
  }

  async #probeLock(): Promise<HealthReport['lock']> {
    let health: LockHealth
    try {
      health = await deadline(this.#deps.lock.health(), this.#settings.timeoutMs)
    } catch (error) {
      return { quorum: false, nodes: [], error: sanitize(error) }
    }
    const nodes = health.nodes.map((node): ComponentHealth => {
      if (node.up) return { up: true, latencyMs: round(node.latencyMs ?? 0) }
      return { up: false, latencyMs: null, error: sanitize(node.error ?? 'no answer') }
    })
    return { quorum: health.quorum, nodes }
  }
}

/**
 * One line per problem, naming the component but not the error: these lines are also served,
 * without authorization, by the `/health` endpoint (errors may name hosts and ports).
 */
function describeProblems(
  store: HealthReport['store'],
  subscriberUp: boolean,
  lock: HealthReport['lock'],
  breaker: HealthReport['breaker']['state'],
): string[] {
  const problems: string[] = []
  if (!store.up) problems.push('store: no answer')
  if (!subscriberUp) {
    problems.push('subscriber: not subscribed (waiters poll, L1 tiers may lag invalidations)')
  }
  const down = lock.nodes.flatMap((node, index) => (node.up ? [] : [index]))
  if (lock.error !== undefined) problems.push('lock: no answer')
  else if (!lock.quorum) {
    problems.push(`lock: quorum lost, ${down.length} of ${lock.nodes.length} nodes down`)
  }
  for (const index of down) problems.push(`lock: node ${index} down`)
  if (breaker === 'open' || breaker === 'half-open') {
    problems.push(`breaker: ${breaker} (store calls are being skipped)`)
  }
  return problems
}

function closedReport(d: HealthDeps): HealthReport {
  return {
    status: 'down',
    checkedAt: new Date().toISOString(),
    store: { kind: d.store.kind, up: false, latencyMs: null, error: 'cache closed' },
    subscriber: { up: false },
    lock: { quorum: false, nodes: [], error: 'cache closed' },
    breaker: { state: d.breaker?.state ?? 'disabled' },
    problems: ['cache: closed'],
  }
}

/** Reject after `ms` (a safety net over the components' own command deadlines). */
function deadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return withDeadline('health probe', ms, work, (error) =>
    error instanceof Error ? error : new Error(String(error)),
  )
}

const CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi

/**
 * An error message fit for a public status document: credentials in URLs masked, the
 * `herdlock:` prefix dropped, newlines flattened, at most 200 characters.
 */
export function sanitize(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error)
  const clean = message
    .replace(CREDENTIALS, '$1***@')
    .replace(/^herdlock: /, '')
    .replace(/\s+/g, ' ')
    .trim()
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean
}

function round(ms: number): number {
  return Math.round(ms * 1_000) / 1_000
}
