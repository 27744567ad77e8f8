import type { Bus } from '../bus/bus.js'
import type { CacheEvents } from '../observe/events.js'
import type { StateLog } from '../observe/logger.js'
import type { StoreBreakers } from '../store/breakers.js'
import type { Store } from '../store/store.js'
import type { EntryCodec, EntrySpec, StoredEntry } from './entry-codec.js'
import type { EntryKeys, Keyspace } from './keyspace.js'
import type { L1Tier } from './l1.js'

/** The entry store's inputs (what it works with, what to write) and outcomes. */

/** Everything the entry store works with. */
export interface EntryStoreDeps {
  readonly store: Store
  readonly codec: EntryCodec
  readonly keyspace: Keyspace
  readonly bus: Bus
  readonly events: CacheEvents
  readonly log: StateLog
  readonly breaker: StoreBreakers | undefined
  readonly throwOnStoreError: boolean
  /** How long a fence outlives the last write or delete of its key, in ms. */
  readonly fenceGraceMs: number
  /** The optional in-process tier. */
  readonly l1: L1Tier | undefined
}

/** One entry to write. */
export interface EntryWrite extends EntrySpec {
  readonly namespace: string
  readonly keys: EntryKeys
  readonly value: unknown
  /** The fence to write under; omitted: take a new one (a plain `set`). */
  readonly fence?: number
}

/** How a write went. */
export type WriteOutcome =
  | { readonly status: 'written'; readonly fence: number; readonly bytes: number }
  | { readonly status: 'rejected'; readonly fence: number }
  | { readonly status: 'failed' }

/** What the lock holder's re-check found. */
export type BeginOutcome =
  | { readonly status: 'fresh'; readonly entry: StoredEntry }
  | { readonly status: 'fence'; readonly fence: number }
  | { readonly status: 'failed' }
