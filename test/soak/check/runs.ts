import type { FaultRecord, History, InvalidationRecord, RunRecord } from '../history.js'
import {
  effect,
  faultClass,
  namespaceOf,
  overlaps,
  precedingFault,
  type CheckParams,
  type Violation,
} from './params.js'

/**
 * Runs per key per expiry. For each key, runs are taken in start order. A run opens a new
 * epoch when no epoch is open or the current one has ended; the current epoch belongs to its
 * latest run (the owner) and ends at the first of:
 * - owner.end + ttl (its value cannot be fresh before: it is stamped after the run ends);
 *   owner.end when the run failed (failures are not cached);
 * - the start of any invalidation of the key that had not ended when the owner's flight
 *   started (its fence, taken before the function starts, may be older than the
 *   invalidation's: its write is refused or removed, a new run is due). The flight started at
 *   the earliest `miss` call in the owner's process that returned the owner's value; for a run
 *   no call returned (background refresh, failure), at owner.start - 2 x commandTimeout.
 * A run inside an open epoch is an extra run. It is accounted for by a fault whose effect
 * window [start, end + recoveryMs] meets [owner.start, extra.start] when the fault is
 * - an outage (store paused or restarted, lock quorum lost): any number of runs;
 * - a pause of the owner's process (holder loss, takeover) or of the extra run's process (a
 *   waiter whose wait ran out while stopped): one extra run per key per pause.
 * Anything else is a violation. Either way the extra run becomes the owner (one defect is
 * reported once, not for every later run of the epoch).
 */
export interface RunStats {
  readonly runs: number
  readonly failedRuns: number
  readonly epochs: number
  readonly accounted: Readonly<Record<string, number>>
  readonly unaccounted: number
}

export function checkRuns(
  history: History,
  params: CheckParams,
): { violations: Violation[]; stats: RunStats } {
  const violations: Violation[] = []
  const accounted: Record<string, number> = {}
  let epochs = 0
  const invalidations = byKey(history.invalidations)
  const flights = flightStarts(history)
  const since = (run: RunRecord): number =>
    flights.get(run.id) ?? run.start - 2 * params.commandTimeoutMs
  for (const [key, runs] of groupRuns(history.runs)) {
    const ttl = params.ttlMs[namespaceOf(key)] ?? 0
    const cuts = invalidations.get(key) ?? []
    const spent = new Set<string>()
    let owner: RunRecord | undefined
    for (const run of runs) {
      if (owner === undefined || run.start >= epochEnd(owner, since(owner), ttl, cuts)) {
        owner = run
        epochs++
        continue
      }
      const fault = accountingFault(owner, run, history.faults, spent, params)
      if (fault !== undefined) {
        accounted[fault.kind] = (accounted[fault.kind] ?? 0) + 1
        if (faultClass(fault.kind) === 'holder') spent.add(fault.id)
      } else {
        violations.push(extraRun(key, owner, run, history.faults, ttl))
      }
      owner = run
    }
  }
  const failedRuns = history.runs.filter((run) => !run.ok).length
  const stats = { runs: history.runs.length, failedRuns, epochs, accounted }
  return { violations, stats: { ...stats, unaccounted: violations.length } }
}

function epochEnd(
  owner: RunRecord,
  flightStart: number,
  ttl: number,
  cuts: readonly InvalidationRecord[],
): number {
  let end = owner.ok ? owner.end + ttl : owner.end
  for (const cut of cuts) {
    if (cut.start >= end) break
    if (cut.end >= flightStart) end = Math.min(end, Math.max(cut.start, owner.start))
  }
  return end
}

/** When each run's flight started: its earliest `miss` caller in the same process. */
function flightStarts(history: History): Map<string, number> {
  const starts = new Map<string, number>()
  for (const call of history.calls) {
    if (call.status !== 'miss' || call.run === undefined) continue
    if (!call.run.startsWith(`w${call.worker}-`)) continue
    const known = starts.get(call.run)
    if (known === undefined || call.start < known) starts.set(call.run, call.start)
  }
  return starts
}

function accountingFault(
  owner: RunRecord,
  run: RunRecord,
  faults: readonly FaultRecord[],
  spent: ReadonlySet<string>,
  params: CheckParams,
): FaultRecord | undefined {
  const span = { start: owner.start, end: run.start }
  for (const fault of faults) {
    if (!overlaps(effect(fault, params), span)) continue
    const kind = faultClass(fault.kind)
    if (kind === 'outage') return fault
    const paused = fault.worker === owner.worker || fault.worker === run.worker
    if (kind === 'holder' && paused && !spent.has(fault.id)) return fault
  }
  return undefined
}

function extraRun(
  key: string,
  owner: RunRecord,
  run: RunRecord,
  faults: readonly FaultRecord[],
  ttl: number,
): Violation {
  const gap = run.start - owner.start
  const message =
    `extra run ${run.id} (worker ${run.worker}) started ${gap} ms after run ${owner.id} ` +
    `(worker ${owner.worker}, ${owner.ok ? 'ok' : 'failed'}, ran ${owner.end - owner.start} ms, ` +
    `ttl ${ttl} ms) with no fault to account for it`
  const precedingFaultText = precedingFault(faults, run.start)
  return {
    invariant: 'runs',
    at: run.start,
    key,
    worker: run.worker,
    message,
    ...(precedingFaultText === undefined ? {} : { precedingFault: precedingFaultText }),
  }
}

function groupRuns(runs: readonly RunRecord[]): Map<string, RunRecord[]> {
  const groups = new Map<string, RunRecord[]>()
  for (const run of runs) {
    const list = groups.get(run.key) ?? []
    list.push(run)
    groups.set(run.key, list)
  }
  for (const list of groups.values()) list.sort((a, b) => a.start - b.start)
  return groups
}

/** Invalidations by covered key, in start order. */
export function byKey(
  invalidations: readonly InvalidationRecord[],
): Map<string, InvalidationRecord[]> {
  const map = new Map<string, InvalidationRecord[]>()
  for (const invalidation of invalidations) {
    for (const key of invalidation.keys) {
      const list = map.get(key) ?? []
      list.push(invalidation)
      map.set(key, list)
    }
  }
  for (const list of map.values()) list.sort((a, b) => a.start - b.start)
  return map
}
