import type { Bus } from '../bus/bus.js'
import type { EntryStore } from '../entries/entry-store.js'
import type { DistributedLock } from '../lock/lock.js'
import type { CacheEvents } from '../observe/events.js'
import type { StateLog } from '../observe/logger.js'
import type { SingleFlight } from './single-flight.js'
import type { WaiterRegistry } from './waiters.js'

/** What the cacheFn engine works with: built once per cache by createCache. */
export interface FnDeps {
  readonly entries: EntryStore
  readonly lock: DistributedLock
  readonly bus: Bus
  readonly events: CacheEvents
  readonly waiters: WaiterRegistry
  /** Calls by namespace and key. */
  readonly flights: SingleFlight
  /** Calls with `forceFresh`, by namespace and key (they never join a lookup's flight). */
  readonly forced: SingleFlight
  /** Background refreshes, by store key. */
  readonly refreshes: SingleFlight
  /** Direct runs of keys marked hit-for-pass, by store key. */
  readonly passes: SingleFlight
  readonly log: StateLog
}
