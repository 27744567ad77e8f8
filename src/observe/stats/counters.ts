import { Histogram } from './histogram.js'
import type { NamespaceStatsSnapshot } from './snapshot.js'

/**
 * The live counters behind `Cache#stats()`: plain numeric fields and fixed-size histograms, so
 * that counting an event is a few increments and memory does not grow with traffic.
 */

/** Distinct reasons kept per counter; a reason beyond them is counted under `other`. */
const MAX_REASONS = 32
/** Counts by reason, with the expected reasons present (as 0) from the start. Bounded. */
export class Tally {
  readonly #counts: Map<string, number>

  constructor(known: readonly string[] = []) {
    this.#counts = new Map(known.map((reason) => [reason, 0]))
  }

  add(reason: string, n = 1): void {
    // Payloads may come from JavaScript callers: never let a non-string reason split a count.
    const key = typeof reason === 'string' ? reason : String(reason)
    const current = this.#counts.get(key)
    if (current !== undefined) this.#counts.set(key, current + n)
    else if (this.#counts.size < MAX_REASONS) this.#counts.set(key, n)
    else this.#counts.set('other', (this.#counts.get('other') ?? 0) + n)
  }

  addAll(other: Tally): void {
    for (const [reason, n] of other.#counts) this.add(reason, n)
  }

  total(): number {
    let sum = 0
    for (const n of this.#counts.values()) sum += n
    return sum
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#counts)
  }
}

/** The live counters of one namespace: plain fields, so each event is a few increments. */
export class Counters {
  hitsL1 = 0
  hitsStore = 0
  misses = 0
  readonly stale = new Tally(['revalidate', 'error', 'timeout', 'client'])
  readonly bypasses = new Tally()
  readonly notStored = new Tally()
  stores = 0
  storedBytes = 0
  readonly fnRuns = new Tally(['lock', 'takeover', 'fallback', 'wait-timeout', 'pass'])
  fnErrors = 0
  softTimeouts = 0
  hardTimeouts = 0
  coalesced = 0
  readonly waits = new Tally(['value', 'error', 'timeout'])
  wokenByMessage = 0
  wokenByPoll = 0
  lockAcquired = 0
  lockContended = 0
  lockTakeover = 0
  lockLost = 0
  fenceRejected = 0
  corrupt = 0
  readonly hit = new Histogram()
  readonly miss = new Histogram()
  readonly lockWait = new Histogram()
  readonly fn = new Histogram()

  /** Add these counters into `total`. */
  addTo(total: Counters): void {
    // prettier-ignore
    const numeric = [
      'hitsL1', 'hitsStore', 'misses', 'stores', 'storedBytes', 'fnErrors', 'softTimeouts',
      'hardTimeouts', 'coalesced', 'wokenByMessage', 'wokenByPoll', 'lockAcquired',
      'lockContended', 'lockTakeover', 'lockLost', 'fenceRejected', 'corrupt',
    ] as const
    for (const field of numeric) total[field] += this[field]
    for (const field of ['stale', 'bypasses', 'notStored', 'fnRuns', 'waits'] as const) {
      total[field].addAll(this[field])
    }
    for (const field of ['hit', 'miss', 'lockWait', 'fn'] as const) total[field].merge(this[field])
  }

  toJSON(): NamespaceStatsSnapshot {
    const hits = this.hitsL1 + this.hitsStore
    const lookups = hits + this.misses
    return {
      hits,
      misses: this.misses,
      hitRatio: lookups === 0 ? 0 : hits / lookups,
      hitsByTier: { l1: this.hitsL1, store: this.hitsStore },
      stale: this.stale.total(),
      staleByReason: this.stale.toJSON(),
      bypasses: this.bypasses.total(),
      bypassesByReason: this.bypasses.toJSON(),
      notStored: this.notStored.total(),
      notStoredByReason: this.notStored.toJSON(),
      stores: this.stores,
      storedBytes: this.storedBytes,
      fnRuns: this.fnRuns.total(),
      fnRunsByReason: this.fnRuns.toJSON(),
      fnErrors: this.fnErrors,
      fnTimeouts: { soft: this.softTimeouts, hard: this.hardTimeouts },
      coalesced: this.coalesced,
      waits: this.waits.total(),
      waitsByOutcome: this.waits.toJSON(),
      wakeups: { message: this.wokenByMessage, poll: this.wokenByPoll },
      lock: {
        acquired: this.lockAcquired,
        contended: this.lockContended,
        takeover: this.lockTakeover,
        lost: this.lockLost,
      },
      fenceRejected: this.fenceRejected,
      corrupt: this.corrupt,
      latency: {
        hit: this.hit.snapshot(),
        miss: this.miss.snapshot(),
        lockWait: this.lockWait.snapshot(),
        fn: this.fn.snapshot(),
      },
    }
  }
}

/** Counters that belong to the cache as a whole (their events carry no namespace). */
export class GlobalCounters {
  readonly errors = new Tally(['store', 'lock', 'bus', 'codec'])
  readonly breaker = new Tally(['open', 'half-open', 'closed'])
  readonly invalidations = new Tally(['key', 'namespace', 'tags', 'pattern'])
  invalidatedEntries = 0
  readonly l1Evictions = new Tally(['remote', 'lru', 'unsubscribed', 'resubscribed'])
}
