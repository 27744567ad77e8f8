import type { CallRecord, FaultRecord, History, InvalidationRecord } from '../history.js'
import { overlapMs, precedingFault, type CheckParams, type Span, type Violation } from './params.js'

/**
 * No read returns data older than an invalidation that resolved before the read started.
 * Every value embeds the generation of the data its run read; every invalidation bumped the
 * generation of each key it covers before calling `invalidate`. A read returning generation g
 * of key k is a violation when an invalidation of k with generation > g resolved (not
 * rejected) before the read started:
 * - in the same process: its end is ordered before the read's start (sequence numbers, exact);
 * - in another process: the reading process ran (was not SIGSTOPped) for more than
 *   `propagationMs` between the invalidation's end and the read's start (the time that
 *   process may take to hear of it through pub/sub).
 * Violations are grouped by (invalidation, run returned); each group counts its reads.
 */
export interface FreshnessStats {
  readonly reads: number
  /** Reads that had at least one binding invalidation. */
  readonly bound: number
  readonly staleReads: number
}

interface Indexed {
  readonly items: InvalidationRecord[]
  /** For each i, the index of the highest generation among items[0..i]. */
  readonly best: number[]
}

export function checkFreshness(
  history: History,
  params: CheckParams,
): { violations: Violation[]; stats: FreshnessStats } {
  const pauses = pausesByWorker(history.faults)
  const resolved = history.invalidations.filter((invalidation) => invalidation.ok)
  const cross = index(
    resolved,
    (i) => [...i.keys],
    (a, b) => a.end - b.end,
  )
  const same = index(resolved, (i) => i.keys.map((key) => `${i.worker}|${key}`), byEndSeq)
  const groups = new Map<string, { violation: Violation; reads: number }>()
  let reads = 0
  let bound = 0
  let staleReads = 0
  for (const call of history.calls) {
    if (call.outcome !== 'value' || call.gen === undefined) continue
    reads++
    const stopped = pauses.get(call.worker) ?? []
    const a = latest(
      cross.get(call.key),
      (i) => running(stopped, i.end, call.start) > params.propagationMs,
    )
    const b = latest(same.get(`${call.worker}|${call.key}`), (i) => i.endSeq < call.startSeq)
    const witness = higher(a, b, call.key)
    if (witness === undefined) continue
    bound++
    if (call.gen >= (witness.gens[call.key] ?? 0)) continue
    staleReads++
    const id = `${witness.worker}#${witness.startSeq}|${call.run ?? '?'}|${call.key}`
    const group = groups.get(id)
    if (group !== undefined) group.reads++
    else groups.set(id, { violation: staleRead(call, witness, history.faults), reads: 1 })
  }
  const violations = [...groups.values()].map(({ violation, reads: count }) =>
    count === 1 ? violation : { ...violation, message: `${violation.message} (${count} reads)` },
  )
  return { violations, stats: { reads, bound, staleReads } }
}

function staleRead(
  call: CallRecord,
  by: InvalidationRecord,
  faults: readonly FaultRecord[],
): Violation {
  const where = by.worker === call.worker ? 'same process' : `worker ${by.worker}`
  const message =
    `read by worker ${call.worker} (${call.status ?? '?'}${call.tier ? ` from ${call.tier}` : ''}) ` +
    `returned gen ${call.gen} from run ${call.run ?? '?'}, but ${by.target} (${where}, gen ` +
    `${by.gens[call.key]}) resolved ${call.start - by.end} ms before the read started`
  return {
    invariant: 'freshness',
    at: call.start,
    key: call.key,
    worker: call.worker,
    message,
    precedingFault: precedingFault(faults, call.start),
  }
}

function byEndSeq(a: InvalidationRecord, b: InvalidationRecord): number {
  return a.endSeq - b.endSeq
}

function index(
  list: readonly InvalidationRecord[],
  names: (invalidation: InvalidationRecord) => string[],
  order: (a: InvalidationRecord, b: InvalidationRecord) => number,
): Map<string, Indexed> {
  const lists = new Map<string, InvalidationRecord[]>()
  for (const invalidation of list) {
    for (const name of names(invalidation)) {
      const items = lists.get(name) ?? []
      items.push(invalidation)
      lists.set(name, items)
    }
  }
  const indexed = new Map<string, Indexed>()
  for (const [name, items] of lists) {
    items.sort(order)
    const key = name.slice(name.indexOf('|') + 1)
    const best: number[] = []
    items.forEach((_, i) => {
      const previous = best[i - 1]
      const gen = (j: number): number => items[j]!.gens[key] ?? 0
      best.push(previous !== undefined && gen(previous) >= gen(i) ? previous : i)
    })
    indexed.set(name, { items, best })
  }
  return indexed
}

/** The highest-generation item of the longest prefix whose items all satisfy `binds`. */
function latest(
  indexed: Indexed | undefined,
  binds: (invalidation: InvalidationRecord) => boolean,
): InvalidationRecord | undefined {
  if (indexed === undefined) return undefined
  let low = 0
  let high = indexed.items.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (binds(indexed.items[mid]!)) low = mid + 1
    else high = mid
  }
  return low === 0 ? undefined : indexed.items[indexed.best[low - 1]!]
}

function higher(
  a: InvalidationRecord | undefined,
  b: InvalidationRecord | undefined,
  key: string,
): InvalidationRecord | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return (b.gens[key] ?? 0) > (a.gens[key] ?? 0) ? b : a
}

/** Wall time between `from` and `to` during which the process was not stopped. */
function running(stopped: readonly Span[], from: number, to: number): number {
  if (to <= from) return to - from
  return to - from - overlapMs(stopped, { start: from, end: to })
}

/** SIGSTOP intervals of each worker. */
export function pausesByWorker(faults: readonly FaultRecord[]): Map<number, Span[]> {
  const map = new Map<number, Span[]>()
  for (const fault of faults) {
    if (fault.kind !== 'worker-pause' || fault.worker === undefined) continue
    const list = map.get(fault.worker) ?? []
    list.push({ start: fault.start, end: fault.end })
    map.set(fault.worker, list)
  }
  return map
}
