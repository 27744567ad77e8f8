import type { StoredEntry } from '../entries/entry-codec.js'
import { HardTimeoutError } from '../errors.js'
import type { CacheFnFunction, FnPlan } from '../options/fn-options.js'
import {
  computed,
  fromEntry,
  staleIfError,
  type CacheFnResult,
  type FnDeps,
  type RunReason,
} from './result.js'
import type { LockHandle } from '../lock/lock.js'
import { announceFailure, storeResult } from './publish.js'
import { runFunction, softTimeout, type FunctionOutcome } from './run-fn.js'

/**
 * The computing side of cacheFn: re-check and take a fence, run the function (extending the
 * lock while it runs), store the result under the fence, announce it, release the lock. Also
 * used without a lock when the lock is unavailable or a waiter gave up waiting: the write is
 * fenced either way, so the newest computation wins.
 */
export async function lead<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  fn: CacheFnFunction<T>,
  stale: StoredEntry<T> | undefined,
  handle: LockHandle | undefined,
  reason: RunReason,
): Promise<CacheFnResult<T>> {
  let begin
  try {
    // A refresh of a still-fresh value (eager refresh) only yields to a newer entry.
    const createdAfter = stale !== undefined && stale.freshUntil > Date.now() ? stale.createdAt : 0
    begin = await d.entries.begin(plan.namespace, plan.keys, Date.now(), createdAfter)
  } catch (error) {
    await handle?.release()
    throw error
  }
  if (begin.status === 'fresh') {
    // Another instance stored it between our read and our lock: nothing to compute.
    await handle?.release()
    return fromEntry(begin.entry as StoredEntry<T>, 'hit')
  }
  const fence = begin.status === 'fence' ? begin.fence : undefined
  // Without the store (re-check failed) or the lock, nothing is shared: the caller should know.
  const degraded = begin.status === 'failed' || reason === 'fallback'
  const work = compute(d, plan, fn, stale, fence, handle, reason, degraded).then((result) =>
    degraded ? { ...result, degraded } : result,
  )
  const fallback = stale?.kind === 'value' ? () => fromEntry(stale, 'stale') : undefined
  return softTimeout(work, plan.softTimeoutMs, fallback, () => {
    d.events.emit('fn:timeout', { namespace: plan.namespace, kind: 'soft' })
    d.events.emit('cache:stale', { namespace: plan.namespace, reason: 'timeout' })
  })
}

/** Run the function without the lock and without storing (after a "pass" notice). */
export async function runDirect<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  fn: CacheFnFunction<T>,
): Promise<CacheFnResult<T>> {
  const started = performance.now()
  try {
    const { value } = await runFunction(fn, plan, undefined)
    reportRun(d, plan, started, true, 'pass')
    return computed(value)
  } catch (error) {
    reportRun(d, plan, started, false, 'pass')
    throw error
  }
}

async function compute<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  fn: CacheFnFunction<T>,
  stale: StoredEntry<T> | undefined,
  fence: number | undefined,
  handle: LockHandle | undefined,
  reason: RunReason,
  degraded: boolean,
): Promise<CacheFnResult<T>> {
  const heartbeat = handle === undefined ? undefined : keepAlive(d, plan, handle)
  const started = performance.now()
  try {
    let outcome: FunctionOutcome<T>
    try {
      outcome = await runFunction(
        fn,
        plan,
        stale?.kind === 'value' ? stale.value : undefined,
        degraded,
      )
    } catch (error) {
      heartbeat?.stop()
      return await onFailure(d, plan, error, stale, fence, started, reason)
    }
    heartbeat?.stop()
    reportRun(d, plan, started, true, reason)
    return await storeResult(d, outcome, fence)
  } finally {
    // Released only after the write: a new holder must find the value, not recompute it.
    await handle?.release()
  }
}

async function onFailure<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  error: unknown,
  stale: StoredEntry<T> | undefined,
  fence: number | undefined,
  started: number,
  reason: RunReason,
): Promise<CacheFnResult<T>> {
  reportRun(d, plan, started, false, reason)
  if (error instanceof HardTimeoutError) {
    d.events.emit('fn:timeout', { namespace: plan.namespace, kind: 'hard' })
  }
  await announceFailure(d, plan, error, fence)
  const fallback = staleIfError(plan, stale)
  if (fallback === undefined) throw error
  d.events.emit('cache:stale', { namespace: plan.namespace, reason: 'error' })
  return fromEntry(fallback, 'stale')
}

/** Extend the lock every third of its lifetime while the function runs. */
function keepAlive<T>(d: FnDeps, plan: FnPlan<T>, handle: LockHandle): { stop(): void } {
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const tick = (): void => {
    handle.extend(plan.lockTtlMs).then(
      (held) => {
        if (stopped) return
        if (!held) {
          d.events.emit('lock:lost', { namespace: plan.namespace })
          return
        }
        timer = setTimeout(tick, plan.lockTtlMs / 3)
      },
      () => undefined,
    )
  }
  timer = setTimeout(tick, plan.lockTtlMs / 3)
  return {
    stop: () => {
      stopped = true
      clearTimeout(timer)
    },
  }
}

function reportRun<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  started: number,
  ok: boolean,
  reason: RunReason,
): void {
  const durationMs = performance.now() - started
  d.events.emit('fn:run', { namespace: plan.namespace, durationMs, ok, reason })
}
