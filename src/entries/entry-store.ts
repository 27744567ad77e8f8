import type { StoredEntry } from './entry-codec.js'
import { CorruptEntryError } from '../errors.js'
import type { EntryKeys } from './keyspace.js'
import type { L1Ticket } from './l1-epochs.js'
import { beginCalls, deleteCall, noticeCall, tagRegisterCalls, writeCalls } from './lua-calls.js'
import type { ScriptReply } from '../store/store.js'
import type { BeginOutcome, EntryStoreDeps, EntryWrite, WriteOutcome } from './entry-store-types.js'
import { failOpen, failOpenRun } from './fail-open.js'

/**
 * Entry-level operations over the Store: encoding, fenced writes, tag bookkeeping, and the
 * fail-open policy. Every store failure is counted by the breaker, emitted as an `error` event,
 * logged once per outage, and turned into a miss / a skipped write (unless `throwOnStoreError`).
 */
export class EntryStore {
  readonly #deps: EntryStoreDeps

  constructor(deps: EntryStoreDeps) {
    this.#deps = deps
  }

  /**
   * The entry held in L1, if the tier is on and holds a live copy. Decoded afresh on every hit,
   * unless the caller promises not to mutate the value (`immutable`): then one decoded copy is
   * shared by every hit.
   */
  fromL1<T>(keys: EntryKeys, now: number, immutable = false): StoredEntry<T> | undefined {
    const slot = this.#deps.l1?.get(keys.value, now)
    if (slot === undefined) return undefined
    const codec = this.#deps.codec
    if (immutable) slot.shared ??= { value: codec.decodeValue(slot.meta, slot.payload) }
    const shared = immutable ? slot.shared : undefined
    return codec.entry<T>(slot.meta, slot.payload, slot.payload.length, 'l1', shared)
  }

  /**
   * Read one entry (L1 first when on); a miss, a corrupt entry or a store failure all resolve
   * to undefined.
   */
  read<T>(
    namespace: string,
    keys: EntryKeys,
    immutable = false,
  ): Promise<StoredEntry<T> | undefined> {
    const l1 = this.#deps.l1
    if (l1 === undefined) {
      return this.#guard('get', undefined, () => this.#deps.store.get(keys.value), keys).then(
        (bytes) =>
          bytes === undefined ? undefined : this.#decode<T>(namespace, keys, bytes, undefined),
      )
    }
    const local = this.fromL1<T>(keys, Date.now(), immutable)
    if (local !== undefined) return Promise.resolve(local)
    const ticket = l1.ticket()
    return this.#guard('get', undefined, () => this.#deps.store.get(keys.value), keys).then(
      (bytes) =>
        bytes === undefined ? undefined : this.#decode<T>(namespace, keys, bytes, ticket),
    )
  }

  /** Read many entries in one round trip (L1 first when on). */
  async readMany<T>(
    namespace: string,
    keys: readonly EntryKeys[],
  ): Promise<(StoredEntry<T> | undefined)[]> {
    const now = Date.now()
    const local = keys.map((k) =>
      this.#deps.l1 === undefined ? undefined : this.fromL1<T>(k, now),
    )
    const missing = keys.filter((_, i) => local[i] === undefined)
    if (missing.length === 0) return local
    const values = missing.map((k) => k.value)
    const ticket = this.#deps.l1?.ticket()
    const all = await this.#guard('getMany', [], () => this.#deps.store.getMany(values))
    let next = 0
    return keys.map((k, i) => {
      if (local[i] !== undefined) return local[i]
      const bytes = all[next++]
      return bytes === undefined ? undefined : this.#decode<T>(namespace, k, bytes, ticket)
    })
  }

  /** Write entries (fenced, with their tags) in one round trip. Throws only SerializationError. */
  async write(writes: readonly EntryWrite[]): Promise<WriteOutcome[]> {
    const calls = writes.map((w) => writeCalls(this.#deps, w))
    const flat = calls.flatMap((c) => c.calls)
    const ticket = this.#deps.l1?.ticket()
    // One entry: its calls count toward the breakers of the shards they go to (the entry's,
    // its tag sets'); a batch spanning slots: the store's.
    const replies =
      writes.length === 1
        ? await failOpenRun(this.#deps, 'set', flat)
        : await this.#guard('set', undefined, () => this.#deps.store.run(flat))
    if (replies === undefined) return writes.map(() => ({ status: 'failed' }))
    let index = 0
    return calls.map(({ calls: group, at, bytes, payload }, i) => {
      const reply = replies[index + at] as readonly ScriptReply[]
      index += group.length
      const write = writes[i]!
      const outcome = this.#writeOutcome(write.namespace, reply, bytes)
      if (outcome.status === 'written') this.#keepInL1(write, outcome.fence, payload, ticket)
      else this.#deps.l1?.delete(write.keys.value)
      return outcome
    })
  }

  #keepInL1(write: EntryWrite, fence: number, payload: Buffer, ticket: L1Ticket | undefined): void {
    const { namespace, keys, createdAt, freshUntil, staleUntil, kind, tags } = write
    const meta = {
      createdAt,
      freshUntil,
      staleUntil,
      fence,
      kind,
      codec: this.#deps.codec.name,
      tags,
    }
    this.#deps.l1?.set(keys.value, namespace, meta, payload, Date.now(), ticket)
  }

  /**
   * Delete one entry and take a new fence (in-flight writes for it are refused). Fails open:
   * `invalidate` uses the strict path of the Invalidator instead.
   */
  async remove(keys: EntryKeys, publish = true): Promise<boolean> {
    this.#deps.l1?.drop(keys.value)
    const call = deleteCall(this.#deps, keys, publish)
    const [deleted] =
      (await this.#guard('delete', [0], () => this.#deps.store.run([call]), keys)) ?? []
    // Again: a read sent meanwhile (on another connection of a pool) may carry the old value.
    this.#deps.l1?.drop(keys.value)
    return Number(deleted) > 0
  }

  /**
   * The lock holder's re-check: a fresh entry (a value or a marker) created after
   * `createdAfter` if one appeared (another instance computed it meanwhile), else a new fence
   * (`peek`: the current one, so as not to refuse the write of a holder still computing).
   * In the same round trip the key
   * joins the sets of `tags` before the function runs, so a tag invalidation from then on finds
   * it and takes a newer fence (its late write is refused), as key invalidation does.
   */
  async begin(
    namespace: string,
    keys: EntryKeys,
    now: number,
    createdAfter = 0,
    peek = false,
    tags: readonly string[] = [],
  ): Promise<BeginOutcome> {
    const calls = beginCalls(this.#deps, keys, now, createdAfter, peek, tags)
    const ticket = this.#deps.l1?.ticket()
    // The entry's shard, and its tag sets' shards: a dead master fails only what needs it.
    const replies = await failOpenRun(this.#deps, 'begin', calls)
    const reply = replies?.[0] as readonly ScriptReply[] | undefined
    if (reply === undefined) return { status: 'failed' }
    const [fence, bytes] = reply
    if (Buffer.isBuffer(bytes)) {
      const entry = this.#decode(namespace, keys, bytes, ticket)
      if (entry !== undefined) return { status: 'fresh', entry }
    }
    return { status: 'fence', fence: Number(String(fence)) }
  }

  /** Renew a computation's tag registrations (see `begin`); resolves true once renewed. */
  async register(keys: EntryKeys, tags: readonly string[]): Promise<boolean> {
    const calls = tagRegisterCalls(this.#deps, keys, tags)
    return (await failOpenRun(this.#deps, 'register', calls)) !== undefined
  }

  /**
   * Publish a notice (`failed`, `pass`) for the computation that holds `fence`, only while that
   * fence is the newest; resolves false when it was refused or the store failed.
   */
  async announce(keys: EntryKeys, fence: number, message: string): Promise<boolean> {
    const call = noticeCall(this.#deps, keys, fence, message)
    const replies = await this.#guard(
      'publish',
      undefined,
      () => this.#deps.store.run([call]),
      keys,
    )
    return Number(replies?.[0]) === 1
  }

  /**
   * Like `read`, but a store failure (or an open breaker) resolves to `'failed'` rather than
   * a miss: a waiter then knows that nobody can share a result and runs the function itself.
   */
  readChecked<T>(
    namespace: string,
    keys: EntryKeys,
    immutable = false,
  ): Promise<StoredEntry<T> | undefined | 'failed'> {
    const local =
      this.#deps.l1 === undefined ? undefined : this.fromL1<T>(keys, Date.now(), immutable)
    if (local !== undefined) return Promise.resolve(local)
    const ticket = this.#deps.l1?.ticket()
    return this.#guard('get', 'failed' as const, () => this.#deps.store.get(keys.value), keys).then(
      (bytes) =>
        bytes === 'failed' || bytes === undefined
          ? bytes
          : this.#decode<T>(namespace, keys, bytes, ticket),
    )
  }

  /** Run a store operation under the breaker and the fail-open policy (`keys`: one entry's). */
  #guard<T, F>(
    operation: string,
    fallback: F,
    work: () => Promise<T>,
    keys?: EntryKeys,
  ): Promise<T | F> {
    return failOpen(this.#deps, operation, fallback, work, keys?.value)
  }

  #decode<T>(
    namespace: string,
    keys: EntryKeys,
    bytes: Buffer,
    ticket: L1Ticket | undefined,
  ): StoredEntry<T> | undefined {
    try {
      const entry = this.#deps.codec.decode<T>(bytes)
      this.#deps.l1?.set(keys.value, namespace, entry, entry.payload, Date.now(), ticket)
      return entry
    } catch (error) {
      if (!(error instanceof CorruptEntryError)) throw error
      this.#deps.events.emit('cache:corrupt', { namespace, error })
      // A corrupt or foreign entry is a miss; remove it so it is rewritten.
      void this.remove(keys, false)
      return undefined
    }
  }

  #writeOutcome(namespace: string, reply: readonly ScriptReply[], bytes: number): WriteOutcome {
    const [ok, fence] = reply
    const fenceNumber = Number(String(fence))
    if (Number(ok) === 1) {
      this.#deps.events.emit('cache:set', { namespace, bytes })
      return { status: 'written', fence: fenceNumber, bytes }
    }
    this.#deps.events.emit('fence:rejected', { namespace })
    return { status: 'rejected', fence: fenceNumber }
  }
}
