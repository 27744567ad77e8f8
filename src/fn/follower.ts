import type { StoredEntry } from '../entries/entry-codec.js'
import { WaitTimeoutError } from '../errors.js'
import type { FnCall } from './call.js'
import { lead, runDirect } from './leader.js'
import { fromEntry, type CacheFnResult } from './result.js'
import { settle, staleIfError } from './settle.js'
import type { Waiter } from './waiters.js'
import { fromWire } from './wire-error.js'

/** First safety-net poll; pub/sub normally wakes the waiter long before. */
const FIRST_POLL_MS = 50
/** Longest gap between safety-net polls. */
const MAX_POLL_MS = 1_000

/** One wait for another instance's computation: what every step of the wait needs. */
interface Wait<T> {
  readonly call: FnCall<T>
  /** The entry being replaced, if any: served when the holder fails and stale-if-error allows. */
  readonly stale: StoredEntry<T> | undefined
  /** Registered before the first re-check, so a notice sent in between is kept. */
  readonly waiter: Waiter
  /** When the wait began: `waitTimeout` and `fn:wait` durations count from here. */
  readonly started: number
}

/**
 * The waiting side of cacheFn: another instance holds the lock, so wait for its "written" or
 * "failed" notice. The waiter registers before re-checking the store, so a notice sent in
 * between is kept, not lost. Pub/sub may drop messages, so a jittered backoff poll re-reads the
 * store and asks the lock how long the holder still has; when the holder is gone (its lock
 * expired), exactly one waiter takes the lock over. Every wait ends by `waitTimeout`.
 */
export async function follow<T>(
  call: FnCall<T>,
  stale: StoredEntry<T> | undefined,
): Promise<CacheFnResult<T>> {
  const waiter = call.deps.waiters.register(call.plan.keys.value)
  const wait: Wait<T> = { call, stale, waiter, started: performance.now() }
  try {
    const first = await check(wait, undefined)
    if (first !== undefined) return first
    return await waitLoop(wait)
  } finally {
    waiter.close()
  }
}

/**
 * Sleep until a notice or the next poll, then act: a "failed" notice fails the wait (or serves
 * the stale value), "pass" runs the function directly, "deleted" waits on, anything else
 * re-reads the store. A poll that finds the holder's lock expired tries a takeover.
 */
async function waitLoop<T>(w: Wait<T>): Promise<CacheFnResult<T>> {
  let delay = FIRST_POLL_MS
  for (;;) {
    const left = w.started + w.call.plan.waitTimeoutMs - performance.now()
    if (left <= 0) return timedOut(w)
    const wake = await w.waiter.next(Math.max(1, Math.min(withJitter(delay), left)))
    if (wake.by === 'message') {
      const { message } = wake
      if (message.type === 'failed') {
        report(w, 'error')
        return failed(w, () => Promise.reject(fromWire(message.error)))
      }
      if (message.type === 'pass') return settled(w, runDirect(w.call))
      if (message.type === 'deleted') continue
    }
    const by = wake.by === 'message' ? 'message' : 'poll'
    const answer = await check(w, by)
    if (answer !== undefined) return answer
    if (by === 'poll') {
      const remaining = await holderRemaining(w.call)
      if (remaining === 0) {
        const takeover = await tryTakeover(w)
        if (takeover !== undefined) return takeover
      }
      delay = nextDelay(delay, remaining)
    }
  }
}

/**
 * Re-read the store; an answer when the computation we wait for has landed (a value, a cached
 * failure, or a pass marker), undefined to keep waiting. `by` says what woke us (reported as
 * `fn:woken`); undefined for the first check, made before any wait.
 */
async function check<T>(
  w: Wait<T>,
  by: 'message' | 'poll' | undefined,
): Promise<CacheFnResult<T> | undefined> {
  const { plan, deps } = w.call
  const entry = await deps.entries.readChecked<T>(plan.namespace, plan.keys)
  // The store went away while we wait: the holder cannot store or announce anything either.
  if (entry === 'failed') return settled(w, lead(w.call, w.stale, undefined, 'fallback', true))
  // A forced call waits for what replaces the entry it found, not for that entry itself.
  if (plan.forceFresh && w.stale !== undefined && (entry?.createdAt ?? 0) <= w.stale.createdAt) {
    return undefined
  }
  const found = settle(entry, Date.now())
  if (found === undefined) return undefined
  if (by !== undefined) deps.events.emit('fn:woken', { namespace: plan.namespace, by })
  if (found.kind === 'value') {
    report(w, 'value')
    return fromEntry(found.entry, 'hit')
  }
  if (found.kind === 'pass') return settled(w, runDirect(w.call))
  report(w, 'error')
  return failed(w, () => Promise.reject(found.error))
}

/** How long the holder still has its lock (0: gone); undefined when the lock cannot tell. */
async function holderRemaining<T>(call: FnCall<T>): Promise<number | undefined> {
  try {
    return await call.deps.lock.remaining(call.plan.keys.lock)
  } catch (error) {
    call.deps.events.emit('error', {
      source: 'lock',
      operation: 'remaining',
      error: error as Error,
    })
    return undefined
  }
}

/** Take the expired holder's place: compute as the new holder, or undefined when another waiter won. */
async function tryTakeover<T>(w: Wait<T>): Promise<CacheFnResult<T> | undefined> {
  return w.call.acquireOnce<CacheFnResult<T> | undefined>('takeover', {
    acquired: (handle) => lead(w.call, w.stale, handle, 'takeover'),
    contended: () => undefined,
    failed: () => undefined,
  })
}

/**
 * `waitTimeout` passed: take over if the holder is gone, else throw (`onWaitTimeout: 'throw'`)
 * or compute without the lock (`'run'`; the write is fenced, so the newest computation wins).
 */
async function timedOut<T>(w: Wait<T>): Promise<CacheFnResult<T>> {
  report(w, 'timeout')
  if ((await holderRemaining(w.call)) === 0) {
    const takeover = await tryTakeover(w)
    if (takeover !== undefined) return takeover
  }
  const { plan } = w.call
  if (plan.onWaitTimeout === 'throw') throw new WaitTimeoutError(plan.waitTimeoutMs)
  return lead(w.call, w.stale, undefined, 'wait-timeout')
}

/** The holder failed: serve the stale value when stale-if-error allows it, else `reject()`. */
function failed<T>(w: Wait<T>, reject: () => Promise<CacheFnResult<T>>): Promise<CacheFnResult<T>> {
  const fallback = staleIfError(w.call.plan, w.stale)
  if (fallback === undefined) return reject()
  w.call.deps.events.emit('cache:stale', { namespace: w.call.namespace, reason: 'error' })
  return Promise.resolve(fromEntry(fallback, 'stale'))
}

/** The wait ended with a value of our own making (`result`): report it as a value. */
function settled<T>(w: Wait<T>, result: Promise<CacheFnResult<T>>): Promise<CacheFnResult<T>> {
  report(w, 'value')
  return result
}

/** Report how the wait ended (`fn:wait`), timed from its start. */
function report<T>(w: Wait<T>, outcome: 'value' | 'error' | 'timeout'): void {
  const durationMs = performance.now() - w.started
  w.call.deps.events.emit('fn:wait', { namespace: w.call.namespace, durationMs, outcome })
}

/** Back off, but never sleep past the moment the holder's lock would expire. */
function nextDelay(delay: number, remaining: number | undefined): number {
  const doubled = Math.min(delay * 2, MAX_POLL_MS)
  return remaining !== undefined && remaining > 0 ? Math.min(doubled, remaining + 5) : doubled
}

/** ±20% jitter, so waiters polling the same key spread out. */
function withJitter(ms: number): number {
  return ms * (0.8 + Math.random() * 0.4)
}
