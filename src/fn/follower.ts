import type { StoredEntry } from '../entries/entry-codec.js'
import { WaitTimeoutError } from '../errors.js'
import type { FnPlan } from '../options/fn-options.js'
import {
  fromEntry,
  fromWire,
  settle,
  staleIfError,
  type CacheFnResult,
  type FnDeps,
} from './result.js'
import type { LockHandle } from '../lock/lock.js'
import type { Waiter } from './waiters.js'

/** How a waiter can stop waiting and compute itself. */
export interface FollowerExits<T> {
  /** Become the holder (after a takeover). */
  lead(handle: LockHandle): Promise<CacheFnResult<T>>
  /** Compute without the lock (wait timeout); the write is fenced. */
  fallback(): Promise<CacheFnResult<T>>
  /** Run without the lock and without storing (the holder's result was not storable). */
  direct(): Promise<CacheFnResult<T>>
}

/** First safety-net poll; pub/sub normally wakes the waiter long before. */
const FIRST_POLL_MS = 50
/** Longest gap between safety-net polls. */
const MAX_POLL_MS = 1_000

/**
 * The waiting side of cacheFn: another instance holds the lock, so wait for its "written" or
 * "failed" notice. The waiter registers before re-checking the store, so a notice sent in
 * between is kept, not lost. Pub/sub may drop messages, so a jittered backoff poll re-reads the
 * store and asks the lock how long the holder still has; when the holder is gone (its lock
 * expired), exactly one waiter takes the lock over. Every wait ends by `waitTimeout`.
 */
export async function follow<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  stale: StoredEntry<T> | undefined,
  exits: FollowerExits<T>,
): Promise<CacheFnResult<T>> {
  const waiter = d.waiters.register(plan.keys.value)
  const started = performance.now()
  try {
    const first = await check(d, plan, stale, exits, started, undefined)
    if (first !== undefined) return first
    return await waitLoop(d, plan, stale, exits, waiter, started)
  } finally {
    waiter.close()
  }
}

async function waitLoop<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  stale: StoredEntry<T> | undefined,
  exits: FollowerExits<T>,
  waiter: Waiter,
  started: number,
): Promise<CacheFnResult<T>> {
  let delay = FIRST_POLL_MS
  for (;;) {
    const left = started + plan.waitTimeoutMs - performance.now()
    if (left <= 0) return timedOut(d, plan, exits, started)
    const wake = await waiter.next(Math.max(1, Math.min(withJitter(delay), left)))
    if (wake.by === 'message') {
      const { message } = wake
      if (message.type === 'failed') {
        report(d, plan, started, 'error')
        return failed(d, plan, stale, () => Promise.reject(fromWire(message.error)))
      }
      if (message.type === 'pass') return settled(d, plan, started, exits.direct())
      if (message.type === 'deleted') continue
    }
    const by = wake.by === 'message' ? 'message' : 'poll'
    const answer = await check(d, plan, stale, exits, started, by)
    if (answer !== undefined) return answer
    if (by === 'poll') {
      const remaining = await holderRemaining(d, plan)
      if (remaining === 0) {
        const takeover = await tryTakeover(d, plan, exits)
        if (takeover !== undefined) return takeover
      }
      delay = nextDelay(delay, remaining)
    }
  }
}

/** Re-read the store; an answer when the computation we wait for has landed. */
async function check<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  stale: StoredEntry<T> | undefined,
  exits: FollowerExits<T>,
  started: number,
  by: 'message' | 'poll' | undefined,
): Promise<CacheFnResult<T> | undefined> {
  const entry = await d.entries.read<T>(plan.namespace, plan.keys)
  const found = settle(entry, Date.now())
  if (found === undefined) return undefined
  if (by !== undefined) d.events.emit('fn:woken', { namespace: plan.namespace, by })
  if (found.kind === 'value') {
    report(d, plan, started, 'value')
    return fromEntry(found.entry, 'hit')
  }
  if (found.kind === 'pass') return settled(d, plan, started, exits.direct())
  report(d, plan, started, 'error')
  return failed(d, plan, stale, () => Promise.reject(found.error))
}

async function holderRemaining<T>(d: FnDeps, plan: FnPlan<T>): Promise<number | undefined> {
  try {
    return await d.lock.remaining(plan.keys.lock)
  } catch (error) {
    d.events.emit('error', { source: 'lock', operation: 'remaining', error: error as Error })
    return undefined
  }
}

async function tryTakeover<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  exits: FollowerExits<T>,
): Promise<CacheFnResult<T> | undefined> {
  let handle: LockHandle | undefined
  try {
    handle = await d.lock.tryAcquire(plan.keys.lock, plan.lockTtlMs)
  } catch (error) {
    d.events.emit('error', { source: 'lock', operation: 'acquire', error: error as Error })
    return undefined
  }
  if (handle === undefined) return undefined
  d.events.emit('lock:takeover', { namespace: plan.namespace })
  return exits.lead(handle)
}

async function timedOut<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  exits: FollowerExits<T>,
  started: number,
): Promise<CacheFnResult<T>> {
  report(d, plan, started, 'timeout')
  if ((await holderRemaining(d, plan)) === 0) {
    const takeover = await tryTakeover(d, plan, exits)
    if (takeover !== undefined) return takeover
  }
  if (plan.onWaitTimeout === 'throw') throw new WaitTimeoutError(plan.waitTimeoutMs)
  return exits.fallback()
}

function failed<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  stale: StoredEntry<T> | undefined,
  reject: () => Promise<CacheFnResult<T>>,
): Promise<CacheFnResult<T>> {
  const fallback = staleIfError(plan, stale)
  if (fallback === undefined) return reject()
  d.events.emit('cache:stale', { namespace: plan.namespace, reason: 'error' })
  return Promise.resolve(fromEntry(fallback, 'stale'))
}

function settled<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  started: number,
  result: Promise<CacheFnResult<T>>,
): Promise<CacheFnResult<T>> {
  report(d, plan, started, 'value')
  return result
}

function report<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  started: number,
  outcome: 'value' | 'error' | 'timeout',
): void {
  const durationMs = performance.now() - started
  d.events.emit('fn:wait', { namespace: plan.namespace, durationMs, outcome })
}

/** Back off, but never sleep past the moment the holder's lock would expire. */
function nextDelay(delay: number, remaining: number | undefined): number {
  const doubled = Math.min(delay * 2, MAX_POLL_MS)
  return remaining !== undefined && remaining > 0 ? Math.min(doubled, remaining + 5) : doubled
}

function withJitter(ms: number): number {
  return ms * (0.8 + Math.random() * 0.4)
}
