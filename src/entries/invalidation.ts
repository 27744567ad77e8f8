import { InvalidationError, InvalidKeyError } from '../errors.js'
import type { CacheEvents } from '../observe/events.js'
import type { InvalidationOps } from './invalidation-ops.js'
import { checkTag, type Keyspace } from './keyspace.js'
import { scanAndRemove } from './scan-removal.js'

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

/**
 * What an invalidation covered, for in-process state that must not outlive it (the flights of
 * cacheFn): one key, one namespace, or everything (tags can reach any key).
 */
export type InvalidatedScope =
  | { readonly kind: 'key'; readonly namespace: string; readonly key: string }
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'all' }

/** What invalidation needs. */
export interface InvalidatorDeps {
  readonly ops: InvalidationOps
  readonly keyspace: Keyspace
  readonly events: CacheEvents
  readonly defaultNamespace: string
}

/**
 * Invalidation that works from any instance: everything lives in Redis, patterns use SCAN (never
 * KEYS), every removed entry gets a new fence so computations already in flight cannot write
 * the old data back, and other instances hear about it on the bus.
 *
 * It never fails open: it resolves once it took effect, or rejects with InvalidationError (see
 * `Cache#invalidate` for what each kind guarantees). Listeners registered with `onInvalidated`
 * hear of every invalidation once it settled, taken effect or not (in-process state is dropped
 * either way: that only costs a recomputation).
 */
export class Invalidator {
  readonly #deps: InvalidatorDeps
  readonly #listeners: ((scope: InvalidatedScope) => void)[] = []

  constructor(deps: InvalidatorDeps) {
    this.#deps = deps
  }

  /** Hear of every invalidation once it settled. */
  onInvalidated(listener: (scope: InvalidatedScope) => void): void {
    this.#listeners.push(listener)
  }

  /** Invalidate a target; resolves to the number of entries removed. */
  async invalidate(target: InvalidateTarget): Promise<number> {
    if (typeof target !== 'object' || target === null) {
      throw new InvalidKeyError(
        'invalidate() takes { key }, { namespace }, { tags } or { pattern }',
      )
    }
    if ('key' in target) {
      const namespace = target.namespace ?? this.#deps.defaultNamespace
      const keys = this.#deps.keyspace.entry(namespace, target.key)
      const scope = { kind: 'key', namespace, key: target.key } as const
      return this.#settle('key', scope, namespace, () => this.#deps.ops.removeEntries([keys], true))
    }
    if ('tags' in target) return this.#tags(target.tags)
    if ('pattern' in target) {
      const namespace = target.namespace ?? this.#deps.defaultNamespace
      const pattern = this.#deps.keyspace.keyPattern(namespace, target.pattern)
      return this.#settle('pattern', { kind: 'namespace', namespace }, namespace, () =>
        this.#scanAndRemove(namespace, pattern),
      )
    }
    if ('namespace' in target) {
      const namespace = target.namespace
      const pattern = this.#deps.keyspace.namespacePattern(namespace)
      return this.#settle('namespace', { kind: 'namespace', namespace }, namespace, () =>
        this.#scanAndRemove(namespace, pattern),
      )
    }
    throw new InvalidKeyError('invalidate() takes { key }, { namespace }, { tags } or { pattern }')
  }

  #tags(tags: readonly string[]): Promise<number> {
    if (!Array.isArray(tags) || tags.length === 0) {
      throw new InvalidKeyError('tags must be a non-empty array of strings')
    }
    const checked = tags.map(checkTag)
    return this.#settle('tags', { kind: 'all' }, undefined, async () => {
      let removed = 0
      try {
        for (const tag of checked) removed += await this.#takeTag(tag)
        // One notice for the whole invalidation: every instance drops its L1 copies carrying
        // the tags, listed in the tag sets or not (a registration lost to a store restart).
        await this.#deps.ops.announceUntagged(checked)
      } finally {
        // After the store work, so a read in flight meanwhile cannot leave an old copy behind;
        // this reaches copies the tag sets no longer list (lost to a store restart).
        this.#deps.ops.dropTagged(checked)
      }
      return removed
    })
  }

  /**
   * Remove every live entry of one tag, taking its members in bounded batches until none is
   * left: memory and reply sizes stay bounded however many entries carry the tag. A batch is
   * settled only after its entries are deleted; a failure before that leaves it pending, for
   * the next invalidation of the tag (`tagTakeScript`).
   */
  async #takeTag(tag: string): Promise<number> {
    let removed = 0
    for (;;) {
      const taken = await this.#deps.ops.takeTag(tag, TAG_BATCH)
      const entries = taken.flatMap(({ member }) => this.#deps.keyspace.entryOf(member) ?? [])
      removed += await this.#deps.ops.removeEntries(entries, false)
      await this.#deps.ops.settleTag(tag, taken)
      if (taken.length < TAG_BATCH) return removed
    }
  }

  /**
   * Remove every entry a SCAN pattern finds (`scanAndRemove`: batches, each entry with a new
   * fence), then announce the namespace as cleared (other instances drop it from L1).
   */
  async #scanAndRemove(namespace: string, pattern: string): Promise<number> {
    this.#deps.ops.dropNamespace(namespace)
    const removed = await scanAndRemove(this.#deps.ops, this.#deps.keyspace, pattern)
    // Again at the end: reads made during the scan may have refilled L1 with old values.
    this.#deps.ops.dropNamespace(namespace)
    await this.#deps.ops.announceCleared(namespace)
    return removed
  }

  /** Run one invalidation: count it when it took effect, reject when it could not. */
  async #settle(
    by: InvalidationError['target'],
    scope: InvalidatedScope,
    namespace: string | undefined,
    work: () => Promise<number>,
  ): Promise<number> {
    try {
      const removed = await work()
      const event = namespace === undefined ? { by, removed } : { namespace, by, removed }
      this.#deps.events.emit('cache:invalidate', event)
      return removed
    } catch (error) {
      throw new InvalidationError(by, { cause: error })
    } finally {
      for (const listener of this.#listeners) listener(scope)
    }
  }
}
