import type { FaultRecord, History } from '../history.js'
import { pausesByWorker } from './freshness.js'
import {
  effect,
  overlapMs,
  overlaps,
  precedingFault,
  type CheckParams,
  type Span,
  type Violation,
} from './params.js'

/**
 * No call slower than its bound. A call's time is its wall time minus the time its own process
 * was SIGSTOPped. Its bound depends on the faults whose effect window ([start, end +
 * recoveryMs]) meets the call (cT = commandTimeout, fn = fnMax):
 * - `quiet` 2·fn + 6·cT: no fault, or one lock node of three paused or restarted (lookup,
 *   lock, re-check, write, release, publish: each at most cT; the holder's fn and our own);
 * - `poll` quiet + pollMax: this worker's subscriber connection killed, or the store paused or restarted
 *   (a notice can be lost; a waiter's safety-net poll finds the result);
 * - `takeover` quiet + lockTtl + pollMax + cT: another worker paused (it may hold the lock:
 *   its lock expires, a waiter polls and takes over) or the lock quorum lost, or this
 *   worker paused (its own wait may have run out).
 * An invalidation's bound is 10·cT whatever the faults (it takes effect or rejects). A call
 * still unsettled when its worker stopped is a violation whatever its tier.
 */
export type Tier = 'quiet' | 'poll' | 'takeover' | 'invalidation'

export interface TierStats {
  readonly calls: number
  readonly boundMs: number
  readonly maxMs: number
  readonly p99Ms: number
}

export function boundsOf(params: CheckParams): Record<Tier, number> {
  const quiet = 2 * params.fnMaxMs + 6 * params.commandTimeoutMs
  return {
    quiet,
    poll: quiet + params.pollMaxMs,
    takeover: quiet + params.lockTtlMs + params.pollMaxMs + params.commandTimeoutMs,
    invalidation: 10 * params.commandTimeoutMs,
  }
}

export function checkBounds(
  history: History,
  params: CheckParams,
): { violations: Violation[]; stats: Record<Tier, TierStats> } {
  const bounds = boundsOf(params)
  const pauses = pausesByWorker(history.faults)
  const samples: Record<Tier, number[]> = { quiet: [], poll: [], takeover: [], invalidation: [] }
  const violations: Violation[] = []
  const measure = (
    op: { worker: number; start: number; end: number; key?: string },
    tier: Tier,
    what: string,
  ): void => {
    const ms = op.end - op.start - overlapMs(pauses.get(op.worker) ?? [], op)
    samples[tier].push(ms)
    if (ms <= bounds[tier]) return
    violations.push({
      invariant: 'bounds',
      at: op.start,
      key: op.key,
      worker: op.worker,
      message: `${what} took ${Math.round(ms)} ms, over its ${tier} bound of ${bounds[tier]} ms`,
      precedingFault: precedingFault(history.faults, op.end),
    })
  }
  for (const call of history.calls) {
    if (call.outcome === 'hung') {
      violations.push(hung(call.worker, call.key, call.start, history.faults))
      continue
    }
    measure(call, tierOf(call, history.faults, params), `call (${call.status ?? call.outcome})`)
  }
  for (const invalidation of history.invalidations) {
    measure({ ...invalidation, key: invalidation.target }, 'invalidation', 'invalidate()')
  }
  return { violations, stats: summarize(samples, bounds) }
}

/** The loosest tier any fault meeting the call allows. */
export function tierOf(
  call: { worker: number } & Span,
  faults: readonly FaultRecord[],
  params: CheckParams,
): Tier {
  let tier: Tier = 'quiet'
  for (const fault of faults) {
    if (!overlaps(effect(fault, params), call)) continue
    switch (fault.kind) {
      case 'worker-pause':
      case 'lock-quorum':
        return 'takeover'
      case 'pubsub-kill':
        // Only the worker whose subscriber was cut can miss a notice.
        if (fault.worker === undefined || fault.worker === call.worker) tier = 'poll'
        break
      case 'store-pause':
      case 'store-restart':
        tier = 'poll'
        break
      default:
        break
    }
  }
  return tier
}

function hung(
  worker: number,
  key: string,
  start: number,
  faults: readonly FaultRecord[],
): Violation {
  return {
    invariant: 'bounds',
    at: start,
    key,
    worker,
    message: 'call never settled (still pending when the worker stopped)',
    precedingFault: precedingFault(faults, start),
  }
}

function summarize(
  samples: Record<Tier, number[]>,
  bounds: Record<Tier, number>,
): Record<Tier, TierStats> {
  const stats = {} as Record<Tier, TierStats>
  for (const tier of Object.keys(samples) as Tier[]) {
    const sorted = samples[tier].sort((a, b) => a - b)
    stats[tier] = {
      calls: sorted.length,
      boundMs: bounds[tier],
      maxMs: Math.round(sorted[sorted.length - 1] ?? 0),
      p99Ms: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
    }
  }
  return stats
}
