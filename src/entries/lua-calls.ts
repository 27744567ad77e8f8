import type { Bus } from '../bus/bus.js'
import type { EntryCodec } from './entry-codec.js'
import type { EntryWrite } from './entry-store.js'
import type { EntryKeys, Keyspace } from './keyspace.js'
import {
  beginComputeScript,
  noticeScript,
  deleteEntryScript,
  tagAddScript,
  writeEntryScript,
} from './lua-scripts.js'
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

/** The fenced write of an entry plus one tag-set update per tag, and what it weighs. */
export function writeCalls(
  c: LuaCallContext,
  w: EntryWrite,
): { calls: ScriptCall[]; bytes: number; payload: Buffer } {
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
      c.bus.channel,
      frame.head,
      frame.tail,
    ],
  }
  const tags = w.tags.map((tag) => ({
    script: tagAddScript,
    keys: [c.keyspace.tagSet(tag)],
    args: [String(ttlMs), w.keys.value],
  }))
  return {
    calls: [write, ...tags],
    bytes: parts.head.length + parts.tail.length,
    payload: parts.payload,
  }
}

/** Delete an entry and take a new fence; announce it on the bus unless `publish` is false. */
export function deleteCall(c: LuaCallContext, keys: EntryKeys, publish: boolean): ScriptCall {
  const frame = c.bus.frame('deleted', keys.value)
  return {
    script: deleteEntryScript,
    keys: [keys.value, keys.fence],
    args: [String(c.fenceGraceMs), publish ? c.bus.channel : '', frame.head, frame.tail],
  }
}

/** The lock holder's re-check and fence. */
export function beginCall(
  c: LuaCallContext,
  keys: EntryKeys,
  now: number,
  createdAfter: number,
  peek = false,
): ScriptCall {
  return {
    script: beginComputeScript,
    keys: [keys.value, keys.fence],
    args: [String(now), String(c.fenceGraceMs), String(createdAfter), peek ? '1' : '0'],
  }
}

/** Publish `message` on the bus only while `fence` is the key's newest. */
export function noticeCall(
  c: LuaCallContext,
  keys: EntryKeys,
  fence: number,
  message: string,
): ScriptCall {
  return { script: noticeScript, keys: [keys.fence], args: [String(fence), c.bus.channel, message] }
}
