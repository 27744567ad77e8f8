import type { CacheEventListener, CacheEventName, CacheEvents } from '../events.js'
import { PUBLISHED_BOUNDS_MS } from './histogram.js'
import { Counters, GlobalCounters } from './counters.js'
import type { NamespaceStatsSnapshot, StatsSnapshot } from './snapshot.js'

/** Where namespaces beyond the `maxNamespaces` limit are counted. */
export const OTHER_NAMESPACE = '(other)'

/** Settings of the stats collector. */
export interface StatsSettings {
  /** Namespaces tracked separately; later ones share the `(other)` counters. */
  readonly maxNamespaces: number
}

type Handlers = { [E in CacheEventName]?: CacheEventListener<E> }

/**
 * Counts what the cache does, by listening to its events: per-namespace counters and latency
 * histograms in bounded memory (fixed-size histograms, a capped number of namespaces and of
 * reasons), whatever keys or URLs pass through. Each event costs a map lookup and a few
 * increments, so the hot path stays as fast with stats on as off.
 */
export class StatsCollector {
  readonly #events: CacheEvents | undefined
  readonly #settings: StatsSettings
  readonly #handlers: Handlers
  #namespaces = new Map<string, Counters>()
  #global = new GlobalCounters()
  #since = Date.now()
  // The namespace of the previous event: most traffic repeats it, so skip the map lookup.
  #lastName: string | undefined
  #last: Counters | undefined

  /** Start counting the events of `events`; without events, a collector that stays at zero. */
  constructor(events: CacheEvents | undefined, settings: StatsSettings) {
    this.#events = events
    this.#settings = settings
    this.#handlers = this.#createHandlers()
    for (const [event, handler] of Object.entries(this.#handlers)) {
      events?.on(event as CacheEventName, handler as CacheEventListener<CacheEventName>)
    }
  }

  /** Stop listening (on close: the emitter may be the user's and outlive the cache). */
  detach(): void {
    for (const [event, handler] of Object.entries(this.#handlers)) {
      this.#events?.off(event as CacheEventName, handler as CacheEventListener<CacheEventName>)
    }
  }

  /** Zero every counter and histogram. */
  reset(): void {
    this.#namespaces = new Map()
    this.#global = new GlobalCounters()
    this.#since = Date.now()
    this.#lastName = undefined
    this.#last = undefined
  }

  /** Everything counted so far, as plain JSON. */
  snapshot(): StatsSnapshot {
    const total = new Counters()
    const namespaces: Record<string, NamespaceStatsSnapshot> = {}
    for (const [name, counters] of [...this.#namespaces].sort(([a], [b]) => (a < b ? -1 : 1))) {
      counters.addTo(total)
      namespaces[name] = counters.toJSON()
    }
    const g = this.#global
    return {
      enabled: this.#events !== undefined,
      since: new Date(this.#since).toISOString(),
      latencyBucketsMs: [...PUBLISHED_BOUNDS_MS],
      ...total.toJSON(),
      errors: g.errors.total(),
      errorsBySource: g.errors.toJSON(),
      breakerTransitions: g.breaker.toJSON(),
      invalidations: g.invalidations.toJSON(),
      invalidatedEntries: g.invalidatedEntries,
      l1Evictions: g.l1Evictions.toJSON(),
      namespaces,
    }
  }

  #ns(name: string): Counters {
    if (name === this.#lastName) return this.#last!
    let counters = this.#namespaces.get(name)
    if (counters === undefined) {
      const full = this.#namespaces.size >= this.#settings.maxNamespaces
      const key = full ? OTHER_NAMESPACE : name
      counters = this.#namespaces.get(key) ?? new Counters()
      this.#namespaces.set(key, counters)
    }
    this.#lastName = name
    this.#last = counters
    return counters
  }

  #createHandlers(): Handlers {
    return { ...this.#cacheHandlers(), ...this.#fnHandlers() }
  }

  /** Lookups, writes and cache-wide events. */
  #cacheHandlers(): Handlers {
    return {
      'cache:hit': ({ namespace, tier, durationMs, count = 1 }) => {
        const c = this.#ns(namespace)
        if (tier === 'l1') c.hitsL1 += count
        else c.hitsStore += count
        c.hit.record(durationMs, count)
      },
      'cache:miss': ({ namespace, durationMs }) => {
        const c = this.#ns(namespace)
        c.misses++
        c.miss.record(durationMs)
      },
      'cache:stale': ({ namespace, reason }) => this.#ns(namespace).stale.add(reason),
      'cache:bypass': ({ namespace, reason }) => this.#ns(namespace).bypasses.add(reason),
      'cache:skip': ({ namespace, reason }) => this.#ns(namespace).notStored.add(reason),
      'cache:set': ({ namespace, bytes }) => {
        const c = this.#ns(namespace)
        c.stores++
        c.storedBytes += bytes
      },
      'cache:corrupt': ({ namespace }) => void this.#ns(namespace).corrupt++,
      'cache:invalidate': ({ by, removed }) => {
        this.#global.invalidations.add(by)
        this.#global.invalidatedEntries += removed
      },
      error: ({ source }) => this.#global.errors.add(source),
      'breaker:state': ({ state }) => this.#global.breaker.add(state),
      'l1:evict': ({ reason, count }) => this.#global.l1Evictions.add(reason, count),
    }
  }

  /** The cacheFn flow: runs, coalescing, waits, the lock and the fence. */
  #fnHandlers(): Handlers {
    return {
      'fn:run': ({ namespace, durationMs, ok, reason }) => {
        const c = this.#ns(namespace)
        c.fnRuns.add(reason)
        if (!ok) c.fnErrors++
        c.fn.record(durationMs)
      },
      'fn:coalesced': ({ namespace, count = 1 }) => void (this.#ns(namespace).coalesced += count),
      'fn:wait': ({ namespace, durationMs, outcome }) => {
        const c = this.#ns(namespace)
        c.waits.add(outcome)
        c.lockWait.record(durationMs)
      },
      'fn:woken': ({ namespace, by }) => {
        const c = this.#ns(namespace)
        if (by === 'message') c.wokenByMessage++
        else c.wokenByPoll++
      },
      'fn:timeout': ({ namespace, kind }) => {
        const c = this.#ns(namespace)
        if (kind === 'soft') c.softTimeouts++
        else c.hardTimeouts++
      },
      'lock:acquired': ({ namespace }) => void this.#ns(namespace).lockAcquired++,
      'lock:contended': ({ namespace }) => void this.#ns(namespace).lockContended++,
      'lock:takeover': ({ namespace }) => void this.#ns(namespace).lockTakeover++,
      'lock:lost': ({ namespace }) => void this.#ns(namespace).lockLost++,
      'fence:rejected': ({ namespace }) => void this.#ns(namespace).fenceRejected++,
    }
  }
}
