import { BatchRemoval, batchUnsupported } from './batch-removal.js'
import type { EntryStoreDeps } from './entry-store-types.js'
import type { EntryKeys } from './keyspace.js'
import { deleteCall, tagSettleCall, tagTakeCall, type TakenMember } from './lua-calls.js'
import type { ScriptCall, ScriptReply } from '../store/store.js'

/**
 * The store operations behind `invalidate()`, which never fail open: an invalidation that
 * silently did nothing would leave old values for their full ttl on every instance. Each
 * operation is attempted even while the breaker is open (the breaker only learns from calls it
 * admitted), and its failure is reported like any store failure and then thrown.
 *
 * The local L1 copy of every removed entry is dropped before the removal (so it stops being
 * served) and again after it (so a read that was in flight meanwhile cannot put it back).
 */
export class InvalidationOps {
  readonly #deps: EntryStoreDeps
  readonly #batches: BatchRemoval

  constructor(deps: EntryStoreDeps) {
    this.#deps = deps
    this.#batches = new BatchRemoval(deps)
  }

  /**
   * Delete entries, each with a new fence (several per call when there are several: see
   * `BatchRemoval`); resolves to how many existed. `publish`: announce each key on the bus.
   */
  async removeEntries(keys: readonly EntryKeys[], publish: boolean): Promise<number> {
    if (keys.length === 0) return 0
    const l1 = this.#deps.l1
    if (l1 !== undefined) for (const k of keys) l1.drop(k.value)
    const removed =
      keys.length === 1
        ? await this.#removeEach(keys, publish)
        : await this.#batches.remove(keys, publish, {
            batch: async (call) => (await this.#run('delete', [call], batchUnsupported))[0]!,
            each: (entries) => this.#removeEach(entries, publish),
          })
    if (l1 !== undefined) for (const k of keys) l1.drop(k.value)
    return removed
  }

  async #removeEach(keys: readonly EntryKeys[], publish: boolean): Promise<number> {
    const calls = keys.map((k) => deleteCall(this.#deps, k, publish))
    const replies = await this.#run('delete', calls)
    return replies.reduce<number>((sum, n) => sum + Number(n), 0)
  }

  /**
   * Take up to `count` members (value keys) of a tag, soonest to expire first; they stay in the
   * tag's pending set until settled, so a failure from here on loses none of them.
   */
  async takeTag(tag: string, count: number): Promise<TakenMember[]> {
    const [reply] = await this.#run('invalidate', [tagTakeCall(this.#deps, tag, count)])
    const flat = ((reply ?? []) as Buffer[]).map(String)
    const taken: TakenMember[] = []
    for (let i = 0; i + 1 < flat.length; i += 2) {
      taken.push({ member: flat[i]!, score: flat[i + 1]! })
    }
    return taken
  }

  /** Settle taken members whose entries were deleted. */
  async settleTag(tag: string, taken: readonly TakenMember[]): Promise<void> {
    if (taken.length > 0) await this.#run('invalidate', [tagSettleCall(this.#deps, tag, taken)])
  }

  /** SCAN for key names; failures are reported, then thrown. */
  async *scan(pattern: string): AsyncIterable<string[]> {
    try {
      yield* this.#deps.store.scan(pattern)
    } catch (error) {
      this.#report('scan', error)
      throw error
    }
  }

  /** Drop a namespace from the local L1 tier. */
  dropNamespace(namespace: string): void {
    this.#deps.l1?.dropNamespace(namespace)
  }

  /** Drop every entry carrying one of `tags` from the local L1 tier. */
  dropTagged(tags: readonly string[]): void {
    this.#deps.l1?.dropTagged(tags)
  }

  /** Tell every instance to drop the entries carrying `tags` from L1; throws when not sent. */
  announceUntagged(tags: readonly string[]): Promise<void> {
    const bus = this.#deps.bus
    return bus.publish({ type: 'untagged', origin: bus.origin, tags }, true)
  }

  /** Tell every instance to drop a namespace from its L1 tier; throws when it cannot be sent. */
  announceCleared(namespace: string): Promise<void> {
    const bus = this.#deps.bus
    return bus.publish({ type: 'cleared', origin: bus.origin, namespace }, true)
  }

  /** Run calls; a failure is reported and thrown, unless `answered` says the server replied. */
  async #run(
    operation: string,
    calls: readonly ScriptCall[],
    answered: (error: unknown) => boolean = () => false,
  ): Promise<ScriptReply[]> {
    const breaker = this.#deps.breaker?.for()
    const ticket = breaker === undefined ? -1 : breaker.allow()
    try {
      const replies = await this.#deps.store.run(calls)
      if (ticket >= 0) breaker?.success(ticket)
      this.#deps.log.up('store')
      return replies
    } catch (error) {
      if (answered(error)) {
        if (ticket >= 0) breaker?.success(ticket)
      } else {
        if (ticket >= 0) breaker?.failure(ticket)
        this.#report(operation, error)
      }
      throw error
    }
  }

  #report(operation: string, error: unknown): void {
    this.#deps.log.down('store', error as Error)
    this.#deps.events.emit('error', { source: 'store', operation, error: error as Error })
  }
}
