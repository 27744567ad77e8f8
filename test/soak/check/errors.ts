import type { CallRecord, FaultRecord, History, RunRecord } from '../history.js'
import {
  effect,
  faultClass,
  overlaps,
  precedingFault,
  type CheckParams,
  type Violation,
} from './params.js'

/** Name and code of the error the soak's function throws; its message names the run. */
export const SOAK_ERROR_NAME = 'SoakFnError'
export const SOAK_ERROR_CODE = 'E_SOAK_FN'

/** The message of the soak function's error for a run. */
export function soakErrorMessage(runId: string): string {
  return `soak fn failure run=${runId}`
}

/**
 * Errors reach callers only from the function, and only from the computation they waited on.
 * - `errors`: a call rejected with anything but the soak function's own error (an
 *   infrastructure error thrown at the caller), or with one no failed run of that key produced,
 *   or one whose run ended more than `propagationMs` before the call started (failures are not
 *   cached);
 * - `failure-provenance`: a call in another process received the failure of run z although a
 *   run h of the same key started while z was running (z had lost the lock: its failure is a
 *   stale notice), unless an outage (store or lock quorum) overlapped z, when runs are allowed
 *   to overlap.
 */
export function checkErrors(history: History, params: CheckParams): Violation[] {
  const runs = new Map(history.runs.map((run) => [run.id, run]))
  const byKey = new Map<string, RunRecord[]>()
  for (const run of history.runs) byKey.set(run.key, [...(byKey.get(run.key) ?? []), run])
  const violations: Violation[] = []
  for (const call of history.calls) {
    if (call.outcome !== 'error') continue
    const problem = errorProblem(call, runs, params)
    if (problem !== undefined) {
      violations.push(violation('errors', call, problem, history.faults))
      continue
    }
    const failed = runs.get(runIdOf(call)!)!
    if (failed.worker === call.worker || outage(failed, history.faults, params)) continue
    const successor = (byKey.get(call.key) ?? []).find(
      (run) => run.id !== failed.id && run.start > failed.start && run.start < failed.end,
    )
    if (successor === undefined) continue
    const message =
      `received the failure of run ${failed.id} (worker ${failed.worker}), which run ` +
      `${successor.id} (worker ${successor.worker}) had superseded ${failed.end - successor.start} ms before it failed`
    violations.push(violation('failure-provenance', call, message, history.faults))
  }
  return violations
}

function errorProblem(
  call: CallRecord,
  runs: ReadonlyMap<string, RunRecord>,
  params: CheckParams,
): string | undefined {
  const error = call.error
  const id = runIdOf(call)
  if (error === undefined || id === undefined) {
    const what =
      error === undefined ? 'no error' : `${error.name} ${error.code ?? ''}: ${error.message}`
    return `call rejected with ${what} (not the function's own error)`
  }
  const run = runs.get(id)
  if (run === undefined || run.ok || run.key !== call.key) {
    return `call rejected with the failure of run ${id}, which is not a failed run of this key`
  }
  if (run.end < call.start - params.propagationMs) {
    return `call got the failure of run ${id}, which ended ${call.start - run.end} ms before the call started`
  }
  return undefined
}

function runIdOf(call: CallRecord): string | undefined {
  const error = call.error
  if (error?.name !== SOAK_ERROR_NAME || error.code !== SOAK_ERROR_CODE) return undefined
  return /run=(\S+)$/.exec(error.message)?.[1]
}

function outage(run: RunRecord, faults: readonly FaultRecord[], params: CheckParams): boolean {
  return faults.some(
    (fault) => faultClass(fault.kind) === 'outage' && overlaps(effect(fault, params), run),
  )
}

function violation(
  invariant: 'errors' | 'failure-provenance',
  call: CallRecord,
  message: string,
  faults: readonly FaultRecord[],
): Violation {
  return {
    invariant,
    at: call.start,
    key: call.key,
    worker: call.worker,
    message: `worker ${call.worker}: ${message}`,
    precedingFault: precedingFault(faults, call.start),
  }
}
