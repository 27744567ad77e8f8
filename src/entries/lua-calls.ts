import type { Bus } from '../bus/bus.js'
import type { EntryCodec } from './entry-codec.js'
import type { EntryWrite } from './entry-store-types.js'
import type { EntryKeys, Keyspace } from './keyspace.js'
import {
  beginComputeScript,
  noticeScript,
  deleteEntryScript,
  writeEntryScript,
} from './lua-scripts.js'
import { tagAddScript, tagSettleScript, tagTakeScript } from './tag-scripts.js'
import type { ScriptCall } from '../store/store.js'

/** The calls of the Lua scripts behind entry operations (lua-scripts.ts): keys and arguments in the order the scripts read them. */

/** What building the calls needs. */
export interface LuaCallContext {
  readonly codec: EntryCodec
  readonly bus: Bus
  readonly keyspace: Keyspace
  /** How long a fence outlives the last write or delete of its key, in ms. */
  readonly fenceGraceMs: number
}

/**
 * How long a computation's tag registration (`beginCalls`, then renewed every third of it while
 * the function runs, `tagRegisterCalls`) holds its member in a tag set, in ms. The write then
 * sets the member's score to the entry's life; a computation that never writes leaves its member
 * for this long at most. A computation whose last renewal is older than this minus
 * `TAG_REGISTRATION_MARGIN_MS` does not store a tagged value: its registration may have
 * expired, and a tag invalidation meanwhile would not have found it.
 */
export const TAG_REGISTRATION_MS = 60_000
/** Room left for the write to reach the store before a registration runs out, in ms. */
export const TAG_REGISTRATION_MARGIN_MS = 15_000

/**
 * Tags and Redis Cluster: an entry lives in its own hash slot and each tag set in another, so
 * no script can cover an entry and its tags atomically on a cluster (CROSSSLOT). Every script
 * here therefore stays single-slot, and the order of the calls gives the guarantee instead
 * (defect 1 of issue 12: tag invalidation must refuse a late write like key invalidation):
 * - a computation joins its tag sets (sorted sets, `tagAddScript`) in the round trip of its
 *   fence, before its function runs (`beginCalls`). The order of the two within that round trip
 *   does not matter: the function starts after both. A tag invalidation that takes the member
 *   afterwards deletes the entry with a newer fence than the computation's (its late write is
 *   refused); one that took the set's members before the registration ran before the function
 *   started, so the value it computes is not older than the invalidation.
 * - every write joins its tag sets before and after the value is written (one pipeline): a tag
 *   invalidation running in between either finds the key (and removes the value or refuses the
 *   write through the fence) or ran before the value existed. So a value is never stored
 *   untagged, tags chosen by the function itself (`ctx.setOptions`) included; those are
 *   registered only at the write, so an invalidation of such a tag while the function ran is
 *   not seen (tags known before the call are).
 * - an invalidation takes members in batches (`tagTakeScript`: they move to the tag's pending
 *   set), deletes their entries, then settles them (`tagSettleScript`). A take whose reply was
 *   lost or a batch whose deletes failed leaves its members pending, and the next invalidation
 *   of the tag takes them first: no member is lost to a store gap.
 * - the hole left: a write sets its member's score to its entry's life even when the fence
 *   refuses it (the tag calls cannot depend on the write's outcome), and a holder's write does
 *   so under a waiter past `waitTimeout` that computes under the same fence (defect 2). A
 *   computation still running then holds its member only that long until its next renewal
 *   (every third of `TAG_REGISTRATION_MS`): with an entry life shorter than that, a tag
 *   invalidation in between can miss it.
 * A registration whose computation never writes leaves a dangling member (its deletion only
 * takes a new fence), gone when its score passes.
 */

/** The fenced write of an entry plus its tag-set updates; `at`: the index of the write's reply. */
export function writeCalls(
  c: LuaCallContext,
  w: EntryWrite,
): { calls: ScriptCall[]; at: number; bytes: number; payload: Buffer } {
  const parts = c.codec.encode(w.value, w)
  const ttlMs = Math.max(1, w.staleUntil - Date.now())
  const frame = c.bus.frame('written', w.keys.value)
  const write: ScriptCall = {
    script: writeEntryScript,
    keys: [w.keys.value, w.keys.fence],
    args: [
      w.fence === undefined ? '' : String(w.fence),
      String(ttlMs),
      parts.head,
      parts.tail,
      String(ttlMs + c.fenceGraceMs),
      c.bus.channelFor(w.keys.value),
      frame.head,
      frame.tail,
    ],
  }
  const tags = tagAddCalls(c, w.tags, w.keys, ttlMs, false)
  return {
    calls: [...tags, write, ...tags],
    at: tags.length,
    bytes: parts.head.length + parts.tail.length,
    payload: parts.payload,
  }
}

function tagAddCalls(
  c: LuaCallContext,
  tags: readonly string[],
  keys: EntryKeys,
  ttlMs: number,
  raiseOnly: boolean,
): ScriptCall[] {
  return tags.map((tag) => ({
    script: tagAddScript,
    keys: [c.keyspace.tagSet(tag)],
    args: [String(ttlMs), keys.value, raiseOnly ? '1' : '0'],
  }))
}

/** Delete an entry and take a new fence; announce it on the bus unless `publish` is false. */
export function deleteCall(c: LuaCallContext, keys: EntryKeys, publish: boolean): ScriptCall {
  const frame = c.bus.frame('deleted', keys.value)
  return {
    script: deleteEntryScript,
    keys: [keys.value, keys.fence],
    args: [
      String(c.fenceGraceMs),
      publish ? c.bus.channelFor(keys.value) : '',
      frame.head,
      frame.tail,
    ],
  }
}

/** The lock holder's re-check and fence, then its tag registrations (see above). */
export function beginCalls(
  c: LuaCallContext,
  keys: EntryKeys,
  now: number,
  createdAfter: number,
  peek: boolean,
  tags: readonly string[],
): ScriptCall[] {
  const begin: ScriptCall = {
    script: beginComputeScript,
    keys: [keys.value, keys.fence],
    args: [String(now), String(c.fenceGraceMs), String(createdAfter), peek ? '1' : '0'],
  }
  return [begin, ...tagRegisterCalls(c, keys, tags)]
}

/** A computation's tag registrations: raise-only, held `TAG_REGISTRATION_MS`. */
export function tagRegisterCalls(
  c: LuaCallContext,
  keys: EntryKeys,
  tags: readonly string[],
): ScriptCall[] {
  return tagAddCalls(c, tags, keys, TAG_REGISTRATION_MS, true)
}

/** Take up to `count` members of a tag for an invalidation (see `tagTakeScript`). */
export function tagTakeCall(c: LuaCallContext, tag: string, count: number): ScriptCall {
  const keys = [c.keyspace.tagSet(tag), c.keyspace.tagPending(tag)]
  return { script: tagTakeScript, keys, args: [String(count)] }
}

/** Settle taken members whose entries were deleted (see `tagSettleScript`). */
export function tagSettleCall(
  c: LuaCallContext,
  tag: string,
  taken: readonly TakenMember[],
): ScriptCall {
  const args = taken.flatMap(({ member, score }) => [member, score])
  return { script: tagSettleScript, keys: [c.keyspace.tagPending(tag)], args }
}

/** A member taken from a tag set, with its score as the store wrote it. */
export interface TakenMember {
  readonly member: string
  readonly score: string
}

/** Publish `message` on the bus only while `fence` is the key's newest. */
export function noticeCall(
  c: LuaCallContext,
  keys: EntryKeys,
  fence: number,
  message: string,
): ScriptCall {
  const channel = c.bus.channelFor(keys.fence)
  return { script: noticeScript, keys: [keys.fence], args: [String(fence), channel, message] }
}
