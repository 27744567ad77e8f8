import type { Bus } from './bus/bus.js'
import type { EntryStore } from './entries/entry-store.js'
import type { Invalidator } from './entries/invalidation.js'
import type { Keyspace } from './entries/keyspace.js'
import type { FnEngine } from './fn/engine.js'
import type { DistributedLock } from './lock/lock.js'
import type { CacheEvents } from './observe/events.js'
import type { HealthProbe } from './observe/health.js'
import type { StatsCollector } from './observe/stats/stats.js'
import type { ResolvedCacheOptions } from './options/cache-options.js'
import type { Store } from './store/store.js'

/** The parts a Cache is built from (see createCache). */
export interface CacheParts {
  readonly options: ResolvedCacheOptions
  readonly store: Store
  readonly ownsStore: boolean
  readonly keyspace: Keyspace
  readonly entries: EntryStore
  readonly invalidator: Invalidator
  readonly bus: Bus
  readonly events: CacheEvents
  readonly fn: FnEngine
  readonly lock: DistributedLock
  /** The stats collector (detached from the events, so all zeros, with `stats: false`). */
  readonly stats: StatsCollector
  readonly health: HealthProbe
  /** Extra resources to close with the cache (lock clients, timers), in order. */
  readonly closers: readonly (() => Promise<void>)[]
}

/**
 * Close what the parts opened, in order: health probe and stats first (nothing more is
 * observed), then the bus, the extra resources, and the store if the cache opened it.
 */
export async function closeParts(parts: CacheParts): Promise<void> {
  parts.health.close()
  parts.stats.detach()
  await parts.bus.close()
  for (const close of parts.closers) await close()
  if (parts.ownsStore) await parts.store.close()
}
