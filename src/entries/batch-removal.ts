import type { EntryKeys } from './keyspace.js'
import { deleteEntriesScript } from './lua-batch.js'
import type { LuaCallContext } from './lua-calls.js'
import type { ScriptCall, ScriptReply } from '../store/store.js'

/**
 * Entries per batch call. Each costs the server four commands (DEL, GET, PTTL, SET: ~5 µs),
 * so a call stays near 0.5 ms, far below the 10 ms no single command may take; the calls of one
 * SCAN page still go out together (one round trip).
 */
export const BATCH_ENTRIES = 100

/**
 * Rounds of one slice before its leftovers go one call per entry. On a cluster a round covers
 * the entries of the node the first one lives on (the others are skipped and sent again), so
 * a slice of a SCAN page needs one round and a slice of a tag set one per master it spans.
 */
const MAX_ROUNDS = 8

/** How the batches reach the store. */
export interface BatchSender {
  /** Run one batch call (`deleteEntriesScript`). */
  batch(call: ScriptCall): Promise<ScriptReply>
  /** Remove entries with the single-entry script, one call each; resolves to how many existed. */
  each(entries: readonly EntryKeys[]): Promise<number>
}

/** The batch delete call of `entries`; see `deleteEntriesScript` for what each argument is. */
export function deleteManyCall(
  c: LuaCallContext,
  entries: readonly EntryKeys[],
  publish: boolean,
): ScriptCall {
  const args: string[] = [String(c.fenceGraceMs), '', '']
  if (publish) {
    const head = c.bus.frame('deleted', '').head
    args[1] = '1'
    args[2] = head
  }
  for (const entry of entries) {
    args.push(entry.value, entry.fence)
    if (publish) args.push(c.bus.channelFor(entry.value), c.bus.frame('deleted', entry.value).tail)
  }
  return { script: deleteEntriesScript, keys: [entries[0]?.value ?? ''], args }
}

/** Whether `error` only says the server cannot run the batch script (Redis before 7: no flags). */
export function batchUnsupported(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String(error.cause)}` : String(error)
  return /compiling script|shebang|unknown flag|unexpected flag/i.test(text)
}

/**
 * Removes entries in batch calls, each entry with a new fence, falling back to one call per
 * entry for what a batch could not reach, and for good on a server without script flags.
 */
export class BatchRemoval {
  readonly #context: LuaCallContext
  #supported = true

  constructor(context: LuaCallContext) {
    this.#context = context
  }

  /** Remove `entries`; resolves to how many values existed. */
  async remove(
    entries: readonly EntryKeys[],
    publish: boolean,
    sender: BatchSender,
  ): Promise<number> {
    const slices: EntryKeys[][] = []
    for (let i = 0; i < entries.length; i += BATCH_ENTRIES) {
      slices.push(entries.slice(i, i + BATCH_ENTRIES))
    }
    const counts = await Promise.all(slices.map((s) => this.#slice(s, publish, sender)))
    return counts.reduce((sum, n) => sum + n, 0)
  }

  async #slice(slice: EntryKeys[], publish: boolean, sender: BatchSender): Promise<number> {
    let removed = 0
    let left = slice
    for (let round = 0; round < MAX_ROUNDS && left.length > 0 && this.#supported; round++) {
      const reply = await this.#round(left, publish, sender)
      if (reply === undefined) break
      removed += Number(reply[0])
      const skipped = reply.slice(1).map((position) => left[Number(position) - 1]!)
      if (skipped.length === left.length) break
      left = skipped
    }
    return left.length === 0 ? removed : removed + (await sender.each(left))
  }

  async #round(
    entries: readonly EntryKeys[],
    publish: boolean,
    sender: BatchSender,
  ): Promise<readonly ScriptReply[] | undefined> {
    try {
      const reply = await sender.batch(deleteManyCall(this.#context, entries, publish))
      return reply as readonly ScriptReply[]
    } catch (error) {
      if (!batchUnsupported(error)) throw error
      this.#supported = false
      return undefined
    }
  }
}
