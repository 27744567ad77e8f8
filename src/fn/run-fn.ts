import type { SkipReason } from '../observe/events.js'
import { HardTimeoutError } from '../errors.js'
import type { CacheFnFunction, FnPlan, ResultOptions } from '../options/fn-options.js'
import { adjustPlan } from './plan.js'

/** A function's result and what it asked about storing it. */
export interface FunctionOutcome<T> {
  readonly value: T
  /** Set when the function called `ctx.skip()`. */
  readonly skip: SkipReason | undefined
  /** The plan to store the value with, after `ctx.setOptions()`. */
  readonly plan: FnPlan<T>
}

/**
 * Run the user's function once: synchronous throws become rejections, and with a hard timeout
 * the call rejects with HardTimeoutError and the function's signal is aborted.
 *
 * Hard timeout vs the lock (issue 12, examine item), decided: at the hard timeout the holder
 * gives up, announces the failure and releases its lock, so another instance may compute. A
 * function that ignores its signal runs on, but its late result is dropped right here (the
 * returned promise has already rejected), so it is never written nor announced: nothing can
 * overwrite the newer holder's value. Keeping the lock until such a function settles would let
 * one stuck call block the key for every instance. Test: "hardTimeout releases the lock; the
 * late result of an fn that ignores its signal is never written".
 */
export function runFunction<T>(
  fn: CacheFnFunction<T>,
  plan: FnPlan<T>,
  stale: T | undefined,
  degraded = false,
): Promise<FunctionOutcome<T>> {
  const controller = new AbortController()
  let skip: SkipReason | undefined
  let stored = plan
  const context = {
    signal: controller.signal,
    key: plan.key,
    namespace: plan.namespace,
    stale,
    degraded,
    skip: (reason: SkipReason = 'predicate') => {
      skip = reason
    },
    setOptions: (options: ResultOptions) => {
      stored = adjustPlan(stored, options)
    },
  }
  const call = Promise.resolve()
    .then(() => fn(context))
    .then((value) => ({ value, skip, plan: stored }))
  if (plan.hardTimeoutMs <= 0) return call
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new HardTimeoutError(plan.hardTimeoutMs)
      controller.abort(error)
      reject(error)
    }, plan.hardTimeoutMs)
    call.then(
      (outcome) => {
        clearTimeout(timer)
        resolve(outcome)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/**
 * Resolve with `work`, unless it takes longer than `ms` and a fallback exists: then resolve with
 * the fallback and let `work` finish on its own (its errors are left to `onLate`).
 */
export function softTimeout<T>(
  work: Promise<T>,
  ms: number,
  fallback: (() => T) | undefined,
  onLate: () => void,
): Promise<T> {
  if (ms <= 0 || fallback === undefined) return work
  return new Promise<T>((resolve, reject) => {
    let settled = false
    const timer = setTimeout(() => {
      settled = true
      onLate()
      resolve(fallback())
    }, ms)
    work.then(
      (value) => {
        clearTimeout(timer)
        if (!settled) resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        if (!settled) reject(error)
      },
    )
  })
}

/** Reject as soon as `signal` aborts (the work itself goes on for whoever else awaits it). */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work
  if (signal.aborted) return Promise.reject(abortReason(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  return reason instanceof Error
    ? reason
    : new DOMException('This operation was aborted', 'AbortError')
}
