import type { Duration } from '../duration.js'
import { parseDuration } from '../duration.js'
import type { Entry } from './entry-codec.js'
import type { EntryStore } from './entry-store.js'
import type { EntryWrite } from './entry-store-types.js'
import { InvalidKeyError } from '../errors.js'
import type { CacheEvents } from '../observe/events.js'
import { checkTag, type Keyspace } from './keyspace.js'
import type { ResolvedCacheOptions } from '../options/cache-options.js'

/** Options of `get`, `getMany` and `delete`. */
export interface KeyOptions {
  /** Namespace of the key. @default the cache's `namespace` option ('default') */
  namespace?: string
}

/** Options of `getEntry`. */
export interface EntryOptions extends KeyOptions {
  /**
   * Also return an entry past its freshness that is still within its stale windows (the
   * `staleWhileRevalidate`/`staleIfError` it was written with); compare `freshUntil` with the
   * time to tell. It counts as a hit only while fresh.
   * @default false
   */
  stale?: boolean
}

/** Options of `getLocal`. */
export interface LocalOptions extends KeyOptions {
  /**
   * Promise not to mutate the value: every hit then shares one decoded copy.
   * @default false
   */
  immutable?: boolean
  /**
   * Do not count the lookup as a hit (for callers that decide afterwards whether they serve it,
   * and report that themselves).
   * @default false
   */
  silent?: boolean
}

/** Options of `set` and `setMany`. */
export interface SetOptions extends KeyOptions {
  /** Time to live. @default the cache's `defaultTtl` ('5m') */
  ttl?: Duration
  /** Tags, for `invalidate({ tags })`. @default [] */
  tags?: readonly string[]
}

/** One entry of `setMany`. */
export interface SetManyEntry<T = unknown> {
  /** The key (in the call's namespace). */
  key: string
  /** The value to store; it goes through the cache's serializer. */
  value: T
  /** Time to live. @default the `ttl` of the call, else the cache's `defaultTtl` */
  ttl?: Duration
  /** Tags of this entry. @default [] */
  tags?: readonly string[]
}

/** What direct reads and writes need. */
export interface DirectParts {
  readonly options: ResolvedCacheOptions
  readonly keyspace: Keyspace
  readonly entries: EntryStore
  readonly events: CacheEvents
}

/** Direct reads and writes (`get`, `set`, `getMany`, ...): the part of the cache without `fn`. */
export class DirectOps {
  readonly #parts: DirectParts

  constructor(parts: DirectParts) {
    this.#parts = parts
  }

  getEntry<T>(key: string, options: EntryOptions): Promise<Entry<T> | undefined> {
    const started = performance.now()
    const namespace = this.#namespace(options)
    const keys = this.#parts.keyspace.entry(namespace, key)
    return this.#parts.entries
      .read<T>(namespace, keys)
      .then((entry) => this.#fresh(namespace, entry, started, options.stale === true))
  }

  /** The fresh entry held in the L1 tier, synchronously; undefined when L1 is off or lacks it. */
  getLocal<T>(key: string, options: LocalOptions): Entry<T> | undefined {
    const started = performance.now()
    const namespace = this.#namespace(options)
    const keys = this.#parts.keyspace.entry(namespace, key)
    const now = Date.now()
    const entry = this.#parts.entries.fromL1<T>(keys, now, options.immutable === true)
    if (entry === undefined || entry.kind !== 'value' || entry.freshUntil <= now) return undefined
    if (options.silent !== true) {
      const durationMs = performance.now() - started
      this.#parts.events.emit('cache:hit', { namespace, tier: 'l1', durationMs })
    }
    return entry
  }

  async set<T>(key: string, value: T, options: SetOptions): Promise<void> {
    const namespace = this.#namespace(options)
    const ttlMs = this.#ttl(options.ttl, 'ttl')
    await this.#parts.entries.write([this.#write(namespace, key, value, ttlMs, options.tags)])
  }

  delete(key: string, options: KeyOptions): Promise<boolean> {
    const namespace = this.#namespace(options)
    return this.#parts.entries.remove(this.#parts.keyspace.entry(namespace, key))
  }

  async getMany<T>(keys: readonly string[], options: KeyOptions): Promise<(T | undefined)[]> {
    assertArray(keys, 'getMany() takes an array of keys')
    const started = performance.now()
    const namespace = this.#namespace(options)
    const entryKeys = keys.map((key) => this.#parts.keyspace.entry(namespace, key))
    const entries = await this.#parts.entries.readMany<T>(namespace, entryKeys)
    return entries.map((entry) => this.#fresh(namespace, entry, started)?.value)
  }

  async setMany<T>(entries: readonly SetManyEntry<T>[], options: SetOptions): Promise<void> {
    assertArray(entries, 'setMany() takes an array of entries')
    const namespace = this.#namespace(options)
    const fallbackTtl = this.#ttl(options.ttl, 'ttl')
    const writes = entries.map((entry, i) => {
      const ttlMs =
        entry.ttl === undefined ? fallbackTtl : this.#ttl(entry.ttl, `entries[${i}].ttl`)
      return this.#write(namespace, entry.key, entry.value, ttlMs, entry.tags ?? options.tags)
    })
    if (writes.length > 0) await this.#parts.entries.write(writes)
  }

  #fresh<T>(
    namespace: string,
    entry: Entry<T> | undefined,
    started: number,
    orStale = false,
  ): Entry<T> | undefined {
    const durationMs = performance.now() - started
    const now = Date.now()
    if (entry !== undefined && entry.kind === 'value' && entry.freshUntil > now) {
      this.#parts.events.emit('cache:hit', { namespace, tier: entry.tier, durationMs })
      return entry
    }
    this.#parts.events.emit('cache:miss', { namespace, durationMs })
    return orStale && entry?.kind === 'value' && entry.staleUntil > now ? entry : undefined
  }

  #write(
    namespace: string,
    key: string,
    value: unknown,
    ttlMs: number,
    tags: readonly string[] = [],
  ): EntryWrite {
    const now = Date.now()
    assertArray(tags, 'tags must be an array of strings')
    return {
      namespace,
      keys: this.#parts.keyspace.entry(namespace, key),
      value,
      createdAt: now,
      freshUntil: now + ttlMs,
      staleUntil: now + ttlMs,
      kind: 'value',
      tags: tags.map(checkTag),
    }
  }

  #namespace(options: KeyOptions): string {
    return options.namespace ?? this.#parts.options.namespace
  }

  #ttl(ttl: Duration | undefined, option: string): number {
    return ttl === undefined ? this.#parts.options.defaultTtlMs : parseDuration(ttl, option)
  }
}

/** Throw InvalidKeyError unless the value is an array (without narrowing it to any[]). */
function assertArray(value: unknown, message: string): void {
  if (!Array.isArray(value)) throw new InvalidKeyError(message)
}
