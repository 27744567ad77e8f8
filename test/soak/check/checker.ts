import type { History } from '../history.js'
import { checkBounds, type Tier, type TierStats } from './bounds.js'
import { checkErrors } from './errors.js'
import { checkFreshness, type FreshnessStats } from './freshness.js'
import { checkHealth, type MemoryStats } from './health.js'
import type { CheckParams, Invariant, Violation } from './params.js'
import { checkRuns, type RunStats } from './runs.js'

/**
 * The soak's invariant checker: a pure function of a run's history and its settings. Each
 * invariant lives in its own module, which documents exactly what it counts as a violation.
 */
export interface CheckResult {
  readonly violations: Violation[]
  readonly byInvariant: Readonly<Record<Invariant, number>>
  readonly calls: Readonly<Record<string, number>>
  readonly invalidations: Readonly<Record<string, { ok: number; rejected: number }>>
  readonly faults: Readonly<Record<string, number>>
  readonly runs: RunStats
  readonly freshness: FreshnessStats
  readonly bounds: Readonly<Record<Tier, TierStats>>
  readonly memory: readonly MemoryStats[]
}

export const INVARIANTS: readonly Invariant[] = [
  'runs',
  'freshness',
  'bounds',
  'errors',
  'failure-provenance',
  'crash',
  'memory',
  'exit',
]

export function check(history: History, params: CheckParams): CheckResult {
  const runs = checkRuns(history, params)
  const freshness = checkFreshness(history, params)
  const bounds = checkBounds(history, params)
  const health = checkHealth(history, params)
  const violations = [
    ...runs.violations,
    ...freshness.violations,
    ...bounds.violations,
    ...checkErrors(history, params),
    ...health.violations,
  ].sort((a, b) => a.at - b.at)
  const byInvariant = Object.fromEntries(INVARIANTS.map((name) => [name, 0])) as Record<
    Invariant,
    number
  >
  for (const violation of violations) byInvariant[violation.invariant]++
  return {
    violations,
    byInvariant,
    calls: countCalls(history),
    invalidations: countInvalidations(history),
    faults: count(history.faults.map((fault) => fault.kind)),
    runs: runs.stats,
    freshness: freshness.stats,
    bounds: bounds.stats,
    memory: health.memory,
  }
}

function countCalls(history: History): Record<string, number> {
  return count(
    history.calls.map((call) =>
      call.outcome === 'value'
        ? `${call.status ?? '?'}${call.tier === 'l1' ? ' (l1)' : ''}${call.degraded ? ' degraded' : ''}`
        : call.outcome,
    ),
  )
}

function countInvalidations(history: History): Record<string, { ok: number; rejected: number }> {
  const result: Record<string, { ok: number; rejected: number }> = {}
  for (const invalidation of history.invalidations) {
    const entry = (result[invalidation.kind] ??= { ok: 0, rejected: 0 })
    if (invalidation.ok) entry.ok++
    else entry.rejected++
  }
  return result
}

function count(names: readonly string[]): Record<string, number> {
  const result: Record<string, number> = {}
  for (const name of names) result[name] = (result[name] ?? 0) + 1
  return result
}
