import type { StoredEntry } from '../entries/entry-codec.js'
import type { BeginOutcome } from '../entries/entry-store-types.js'
import { TAG_REGISTRATION_MS } from '../entries/lua-calls.js'
import { HardTimeoutError } from '../errors.js'
import type { LockHandle } from '../lock/lock.js'
import type { Computation, FnCall } from './call.js'
import { computed, fromEntry, type CacheFnResult, type RunReason } from './result.js'
import { runFunction, softTimeout, type FunctionOutcome } from './run-fn.js'
import { settle, staleIfError } from './settle.js'
import { announceFailure, storeResult } from './store-result.js'

/**
 * The computing side of cacheFn: re-check and take a fence, run the function (extending the
 * lock while it runs), store the result under the fence, announce it, release the lock. Also
 * used without a lock when the lock is unavailable or a waiter gave up waiting: the write is
 * fenced either way, so the newest computation wins. A computation that got no fence (the
 * store was unreachable at the re-check) returns its value without storing it: nothing could
 * refuse its write after an invalidation.
 */
export async function lead<T>(
  call: FnCall<T>,
  stale: StoredEntry<T> | undefined,
  handle: LockHandle | undefined,
  reason: RunReason,
  storeDown = false,
): Promise<CacheFnResult<T>> {
  const { entries, events } = call.deps
  const { plan } = call
  let begin: BeginOutcome
  const registration = { at: Date.now() }
  try {
    // A refresh of a still-fresh value (eager refresh) only yields to a newer entry.
    const createdAfter = stale !== undefined && stale.freshUntil > Date.now() ? stale.createdAt : 0
    // A waiter that timed out computes under the current fence, not a newer one: the holder may
    // be alive, and a newer fence would refuse its write (defect 2 of issue 12). Invalidations
    // still take newer fences, so they still refuse this late write.
    const peek = reason === 'wait-timeout'
    // The key joins its tag sets in the same round trip, before the function runs: a tag
    // invalidation from then on refuses this computation's write (defect 1 of issue 12).
    begin = storeDown
      ? { status: 'failed' }
      : await entries.begin(
          plan.namespace,
          plan.keys,
          registration.at,
          createdAfter,
          peek,
          plan.tags,
        )
  } catch (error) {
    await handle?.release()
    throw error
  }
  if (begin.status === 'fresh') {
    // Another instance answered between our read and our lock: a value, or a marker (a cached
    // failure must not be recomputed before its errorTtl; a pass runs without storing).
    await handle?.release()
    const found = settle(begin.entry as StoredEntry<T>, Date.now())
    if (found?.kind === 'error') throw found.error
    if (found?.kind === 'pass') return runDirect(call)
    return fromEntry(begin.entry as StoredEntry<T>, 'hit')
  }
  const fence = begin.status === 'fence' ? begin.fence : undefined
  // Without the store (re-check failed) or the lock, nothing is shared: the caller should know.
  const degraded = begin.status === 'failed' || reason === 'fallback'
  const computation: Computation<T> = { call, stale, handle, reason, fence, degraded, registration }
  const work = compute(computation).then((result) => (degraded ? { ...result, degraded } : result))
  const fallback = stale?.kind === 'value' ? () => fromEntry(stale, 'stale') : undefined
  return softTimeout(work, plan.softTimeoutMs, fallback, () => {
    events.emit('fn:timeout', { namespace: plan.namespace, kind: 'soft' })
    events.emit('cache:stale', { namespace: plan.namespace, reason: 'timeout' })
  })
}

/** Run the function without the lock and without storing (after a "pass" notice). */
export async function runDirect<T>(call: FnCall<T>): Promise<CacheFnResult<T>> {
  const started = performance.now()
  try {
    const { value } = await runFunction(call.fn, call.plan, undefined)
    call.reportRun(started, true, 'pass')
    return computed(value)
  } catch (error) {
    call.reportRun(started, false, 'pass')
    throw error
  }
}

async function compute<T>(c: Computation<T>): Promise<CacheFnResult<T>> {
  const heartbeat = c.handle === undefined ? undefined : keepAlive(c.call, c.handle)
  const registered = keepRegistered(c)
  const started = performance.now()
  try {
    let outcome: FunctionOutcome<T>
    try {
      const staleValue = c.stale?.kind === 'value' ? c.stale.value : undefined
      outcome = await runFunction(c.call.fn, c.call.plan, staleValue, c.degraded)
    } catch (error) {
      heartbeat?.stop()
      clearInterval(registered)
      return await onFailure(c, error, started)
    }
    heartbeat?.stop()
    clearInterval(registered)
    c.call.reportRun(started, true, c.reason)
    return await storeResult(c, outcome)
  } finally {
    // Released only after the write: a new holder must find the value, not recompute it. A
    // write the store did not take has nothing to wait for (the lock retries its release).
    if (c.storeFailed === true) void c.handle?.release().catch(() => undefined)
    else await c.handle?.release()
  }
}

async function onFailure<T>(
  c: Computation<T>,
  error: unknown,
  started: number,
): Promise<CacheFnResult<T>> {
  const { call } = c
  call.reportRun(started, false, c.reason)
  if (error instanceof HardTimeoutError) {
    call.deps.events.emit('fn:timeout', { namespace: call.namespace, kind: 'hard' })
  }
  await announceFailure(c, error)
  const fallback = staleIfError(call.plan, c.stale)
  if (fallback === undefined) throw error
  call.deps.events.emit('cache:stale', { namespace: call.namespace, reason: 'error' })
  return fromEntry(fallback, 'stale')
}

/** Extend the lock every third of its lifetime while the function runs. */
function keepAlive<T>(call: FnCall<T>, handle: LockHandle): { stop(): void } {
  const { lockTtlMs } = call.plan
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const tick = (): void => {
    handle.extend(lockTtlMs).then(
      (held) => {
        if (stopped) return
        if (!held) {
          call.deps.events.emit('lock:lost', { namespace: call.namespace })
          return
        }
        timer = setTimeout(tick, lockTtlMs / 3)
      },
      () => undefined,
    )
  }
  timer = setTimeout(tick, lockTtlMs / 3)
  return {
    stop: () => {
      stopped = true
      clearTimeout(timer)
    },
  }
}

/**
 * Renew the tag registrations of a computation that has a fence every third of their hold
 * while the function runs, so a tag invalidation finds the key however long it runs.
 */
function keepRegistered<T>(c: Computation<T>): NodeJS.Timeout | undefined {
  const { plan, deps } = c.call
  if (c.fence === undefined || plan.tags.length === 0) return undefined
  const timer = setInterval(() => {
    const sent = Date.now()
    deps.entries.register(plan.keys, plan.tags).then(
      (renewed) => {
        if (renewed) c.registration.at = Math.max(c.registration.at, sent)
      },
      () => undefined,
    )
  }, TAG_REGISTRATION_MS / 3)
  timer.unref()
  return timer
}
