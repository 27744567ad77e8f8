import type { InvalidationOps } from './invalidation-ops.js'
import type { EntryKeys, Keyspace } from './keyspace.js'

/**
 * SCAN pages whose removal may be under way at once: the removal of one page and of the next
 * overlap, so the server has a batch queued while the client reads and prepares a page (the
 * gain is within this machine's noise: BENCHMARKS.md, note S1). Memory stays bounded: two
 * pages of entries.
 */
export const PAGES_IN_FLIGHT = 2

/**
 * Entries one namespace or pattern invalidation remembers as removed, so that meeting their
 * other key later in the SCAN costs nothing (BENCHMARKS.md note S1: a third of the work
 * without it). Each costs ~40 bytes plus its value key's name, only while the invalidation
 * runs (76 B for a 35-character name: 19 MiB at the cap, which covers the ~N/4 entries
 * remembered at once for N up to 1M); beyond the cap the other key is removed again, which
 * is what happened to every entry before.
 */
export const REMEMBERED_ENTRIES = 262_144

/**
 * SCAN for value and fence keys and remove the entries they name (value deleted, fence raised,
 * no notice per key) in batches; resolves to how many values existed.
 *
 * The two keys of an entry lie in different SCAN pages. Whichever is met first, its removal
 * deletes the value and raises the fence in one script call, so a computation that began before
 * can no longer write back; meeting the other key later needs nothing more. The scan only meets
 * the fence again when the value was met first (a value deleted before its page is read is not
 * returned), so only those entries are remembered, from the moment their removal succeeded
 * (an entry of a removal still in flight is removed again: harmless). A value written after
 * the fence was raised is newer than the invalidation, so skipping its key loses nothing.
 */
export async function scanAndRemove(
  ops: InvalidationOps,
  keyspace: Keyspace,
  pattern: string,
): Promise<number> {
  let removed = 0
  const done = new Set<string>()
  const inFlight: Promise<void>[] = []
  try {
    for await (const names of ops.scan(pattern)) {
      const { batch, byValue } = entriesOf(keyspace, names, done)
      if (inFlight.length >= PAGES_IN_FLIGHT) await inFlight.shift()
      const removal = ops.removeEntries(batch, false).then((n) => {
        removed += n
        for (const name of byValue) if (done.size < REMEMBERED_ENTRIES) done.add(name)
      })
      // Awaited in turn (by a later page or below); it may fail before that.
      removal.catch(() => undefined)
      inFlight.push(removal)
    }
  } finally {
    // Never leave a removal running unobserved (its failure is the invalidation's).
    await Promise.allSettled(inFlight)
  }
  await Promise.all(inFlight)
  return removed
}

/**
 * The entries named in one SCAN page, without those `done` lists (each dropped from it when
 * met: an entry has only one other key). `byValue`: the value keys met, in `batch`. An entry
 * whose two keys share the page is listed twice (rare: the second removal finds nothing).
 */
function entriesOf(
  keyspace: Keyspace,
  names: readonly string[],
  done: Set<string>,
): { batch: EntryKeys[]; byValue: string[] } {
  const batch: EntryKeys[] = []
  const byValue: string[] = []
  for (const name of names) {
    const entry = keyspace.entryOf(name)
    if (entry === undefined || done.delete(entry.value)) continue
    batch.push(entry)
    if (name === entry.value) byValue.push(name)
  }
  return { batch, byValue }
}
