import type { Bus } from '../bus/bus.js'
import type { EntryStore } from './entry-store.js'
import { InvalidKeyError } from '../errors.js'
import type { CacheEvents } from '../observe/events.js'
import { checkTag, type EntryKeys, type Keyspace } from './keyspace.js'
import { tagTakeScript } from './lua-scripts.js'
import type { ScriptReply, Store } from '../store/store.js'

/** What to invalidate. */
export type InvalidateTarget =
  /** One key (in the default namespace unless given). */
  | {
      /** The key to remove. */
      readonly key: string
      /** Its namespace. @default the cache's `namespace` option */
      readonly namespace?: string
    }
  /** Every entry of a namespace. */
  | {
      /** The namespace to empty. */
      readonly namespace: string
    }
  /** Every entry carrying any of these tags, in any namespace. */
  | {
      /** Entries carrying any of these tags are removed. */
      readonly tags: readonly string[]
    }
  /** Entries of a namespace whose key matches a glob: `*` and `?` are the only wildcards. */
  | {
      /** Glob over the keys: `*` any run of characters, `?` one character. */
      readonly pattern: string
      /** The namespace searched. @default the cache's `namespace` option */
      readonly namespace?: string
    }

/** How many members of a tag set one invalidation round takes. */
const TAG_BATCH = 500

/** What invalidation needs. */
export interface InvalidatorDeps {
  readonly store: Store
  readonly entries: EntryStore
  readonly keyspace: Keyspace
  readonly bus: Bus
  readonly events: CacheEvents
  readonly defaultNamespace: string
}

/**
 * Invalidation that works from any instance: everything lives in Redis, patterns use SCAN (never
 * KEYS), every removed entry gets a new fence so computations already in flight cannot write
 * the old data back, and other instances hear about it on the bus.
 */
export class Invalidator {
  readonly #deps: InvalidatorDeps

  constructor(deps: InvalidatorDeps) {
    this.#deps = deps
  }

  /** Invalidate a target; resolves to the number of entries removed. */
  async invalidate(target: InvalidateTarget): Promise<number> {
    if (typeof target !== 'object' || target === null) {
      throw new InvalidKeyError(
        'invalidate() takes { key }, { namespace }, { tags } or { pattern }',
      )
    }
    if ('key' in target) return this.#key(target.key, target.namespace)
    if ('tags' in target) return this.#tags(target.tags)
    if ('pattern' in target) return this.#pattern(target.pattern, target.namespace)
    if ('namespace' in target) return this.#namespace(target.namespace)
    throw new InvalidKeyError('invalidate() takes { key }, { namespace }, { tags } or { pattern }')
  }

  async #key(key: string, namespace = this.#deps.defaultNamespace): Promise<number> {
    const removed = (await this.#deps.entries.remove(this.#deps.keyspace.entry(namespace, key)))
      ? 1
      : 0
    this.#deps.events.emit('cache:invalidate', { namespace, by: 'key', removed })
    return removed
  }

  async #namespace(namespace: string): Promise<number> {
    const removed = await this.#scanAndRemove(this.#deps.keyspace.namespacePattern(namespace))
    this.#deps.entries.forgetNamespace(namespace)
    await this.#deps.bus.publish({ type: 'cleared', origin: this.#deps.bus.origin, namespace })
    this.#deps.events.emit('cache:invalidate', { namespace, by: 'namespace', removed })
    return removed
  }

  async #pattern(glob: string, namespace = this.#deps.defaultNamespace): Promise<number> {
    const removed = await this.#scanAndRemove(this.#deps.keyspace.keyPattern(namespace, glob))
    this.#deps.entries.forgetNamespace(namespace)
    await this.#deps.bus.publish({ type: 'cleared', origin: this.#deps.bus.origin, namespace })
    this.#deps.events.emit('cache:invalidate', { namespace, by: 'pattern', removed })
    return removed
  }

  async #tags(tags: readonly string[]): Promise<number> {
    if (!Array.isArray(tags) || tags.length === 0) {
      throw new InvalidKeyError('tags must be a non-empty array of strings')
    }
    const sets = tags.map((tag) => this.#deps.keyspace.tagSet(checkTag(tag)))
    let removed = 0
    for (const set of sets) removed += await this.#takeTag(set)
    this.#deps.events.emit('cache:invalidate', { by: 'tags', removed })
    return removed
  }

  /**
   * Remove every live entry of one tag set, taking its members in bounded batches until it is
   * empty: memory and reply sizes stay bounded however many entries carry the tag.
   */
  async #takeTag(set: string): Promise<number> {
    let removed = 0
    for (;;) {
      const call = { script: tagTakeScript, keys: [set], args: [String(TAG_BATCH)] }
      let reply: ScriptReply
      try {
        ;[reply = []] = await this.#deps.store.run([call])
      } catch (error) {
        this.#deps.events.emit('error', {
          source: 'store',
          operation: 'invalidate',
          error: error as Error,
        })
        return removed
      }
      const names = (reply as Buffer[]).map(String)
      const entries = names.flatMap((name) => this.#deps.keyspace.entryOf(name) ?? [])
      removed += await this.#deps.entries.removeMany(entries, true)
      if (names.length < TAG_BATCH) return removed
    }
  }

  /** SCAN for value and fence keys, then delete each entry found (new fence, no publish). */
  async #scanAndRemove(pattern: string): Promise<number> {
    let removed = 0
    try {
      for await (const names of this.#deps.store.scan(pattern)) {
        // Dedupe within a batch only (value and fence of one entry); a repeat across batches
        // deletes nothing and counts 0, and memory stays bounded on huge namespaces.
        const seen = new Set<string>()
        const batch: EntryKeys[] = []
        for (const name of names) {
          const entry = this.#deps.keyspace.entryOf(name)
          if (entry === undefined || seen.has(entry.value)) continue
          seen.add(entry.value)
          batch.push(entry)
        }
        removed += await this.#deps.entries.removeMany(batch, false)
      }
    } catch (error) {
      this.#deps.events.emit('error', {
        source: 'store',
        operation: 'invalidate',
        error: error as Error,
      })
    }
    return removed
  }
}
