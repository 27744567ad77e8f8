import type { BusMessage } from '../bus/bus.js'
import type { EntryWrite } from '../entries/entry-store-types.js'
import { TAG_REGISTRATION_MARGIN_MS, TAG_REGISTRATION_MS } from '../entries/lua-calls.js'
import { SerializationError } from '../errors.js'
import type { FnPlan } from '../options/fn-options.js'
import type { Computation } from './call.js'
import { computed, type CacheFnResult } from './result.js'
import type { FunctionOutcome } from './run-fn.js'
import { toWire } from './wire-error.js'

/**
 * How a computed result leaves the holder: stored under its fence (or a "pass" / failure
 * marker or notice when it is not stored), so every waiter, here or elsewhere, learns the
 * outcome.
 */

/** Tell waiting instances (they fail the same way instead of each re-running the function). */
export async function announceFailure<T>(c: Computation<T>, error: unknown): Promise<void> {
  const { entries, bus } = c.call.deps
  const { plan } = c.call
  const wire = toWire(error)
  if (plan.errorTtlMs > 0 && c.fence !== undefined && !replacesFresh(c)) {
    const [outcome] = await entries.write([marker(c, 'error', wire, plan.errorTtlMs, c.fence)])
    if (outcome?.status === 'written') return
    if (outcome?.status === 'failed') c.storeFailed = true
  }
  await announce(c, { type: 'failed', origin: bus.origin, key: plan.keys.value, error: wire })
}

/**
 * Send a "failed" or "pass" notice. With a fence, the store publishes it only while that fence
 * is the newest: a zombie holder (paused past its lock, then resumed) cannot fail or release the
 * waiters of the holder that took over (defect 3 of issue 12). Without one (the store was
 * unreachable at the re-check) nothing was shared, so nothing can be overtaken either.
 */
async function announce<T>(c: Computation<T>, message: BusMessage): Promise<void> {
  const { entries, bus } = c.call.deps
  if (c.fence === undefined) {
    // Sent, not awaited: the store just failed, and the caller must not wait out another
    // command timeout for a notice (a publish failure is reported by the bus itself).
    void bus.publish(message)
    return
  }
  const sent = entries.announce(c.call.plan.keys, c.fence, bus.encode(message))
  // After a write the store did not take, the same store would hold the caller again.
  if (c.storeFailed === true) void sent.catch(() => undefined)
  else await sent
}

/**
 * Store the function's value under the computation's fence, with the plan the function chose
 * (`ctx.setOptions`); a value that is not stored releases the waiters instead (announcePass).
 */
export async function storeResult<T>(
  c: Computation<T>,
  { value, skip, plan }: FunctionOutcome<T>,
): Promise<CacheFnResult<T>> {
  const { events, entries } = c.call.deps
  const now = writeTime(c)
  const result = computed(value, now)
  if (c.fence === undefined) {
    // No fence: the store was unreachable when the computation began, so an invalidation
    // since then could not have refused this write. Stored now, it could outlive one.
    await announcePass(c, plan)
    return result
  }
  const refused = skip ?? (plan.shouldCache?.(value) === false ? 'predicate' : undefined)
  if (refused !== undefined) {
    events.emit('cache:skip', { namespace: plan.namespace, reason: refused })
    await announcePass(c, plan)
    return result
  }
  const notFound = plan.notFoundTtlMs !== undefined && plan.isNotFound(value)
  const ttl = (notFound ? (plan.notFoundTtlMs ?? 0) : plan.ttlMs) + jitter(plan.jitterMs)
  if (ttl <= 0) {
    await announcePass(c, plan)
    return result
  }
  if (registrationLapsed(c, now)) {
    // Its tag registrations may have run out: a tag invalidation since could have missed it.
    events.emit('fence:rejected', { namespace: plan.namespace })
    await announcePass(c, plan)
    return result
  }
  const write = entryWrite(plan, value, now, ttl, c.fence)
  try {
    const [outcome] = await entries.write([write])
    if (outcome?.status === 'failed') c.storeFailed = true
  } catch (error) {
    if (!(error instanceof SerializationError)) throw error
    events.emit('error', { source: 'codec', operation: 'serialize', error })
    await announcePass(c, plan)
    return result
  }
  return { ...result, freshUntil: write.freshUntil }
}

/** Whether a fenced computation's tag registrations may have run out (leader.ts renews them). */
function registrationLapsed<T>(c: Computation<T>, now: number): boolean {
  if (c.call.plan.tags.length === 0) return false
  return now - c.registration.at > TAG_REGISTRATION_MS - TAG_REGISTRATION_MARGIN_MS
}

/**
 * Release waiters to run the function themselves: a short marker when `passTtl` asks for one,
 * else a "pass" notice.
 */
async function announcePass<T>(c: Computation<T>, plan: FnPlan<T>): Promise<void> {
  const { entries, bus } = c.call.deps
  if (plan.passTtlMs > 0 && c.fence !== undefined && !replacesFresh(c)) {
    const [outcome] = await entries.write([marker(c, 'pass', undefined, plan.passTtlMs, c.fence)])
    if (outcome?.status === 'written') return
    if (outcome?.status === 'failed') c.storeFailed = true
  }
  await announce(c, { type: 'pass', origin: bus.origin, key: plan.keys.value })
}

/** A value entry, or a marker, under the plan's key and the computation's fence. */
function entryWrite<T>(
  plan: FnPlan<T>,
  value: unknown,
  now: number,
  ttl: number,
  fence: number,
  kind: 'value' | 'pass' | 'error' = 'value',
): EntryWrite {
  // Markers ("pass", cached failures) have no stale window and no tags.
  const stale = kind === 'value' ? Math.max(plan.staleWhileRevalidateMs, plan.staleIfErrorMs) : 0
  return {
    namespace: plan.namespace,
    keys: plan.keys,
    value,
    createdAt: now,
    freshUntil: now + ttl,
    staleUntil: now + ttl + stale,
    kind,
    tags: kind === 'value' ? plan.tags : [],
    fence,
  }
}

/** A short marker entry under the computation's fence: "pass" (not storable) or a cached failure. */
function marker<T>(
  c: Computation<T>,
  kind: 'pass' | 'error',
  value: unknown,
  ttl: number,
  fence: number,
): EntryWrite {
  return entryWrite(c.call.plan, value, writeTime(c), ttl, fence, kind)
}

/**
 * When a computation's entry is written: now, and strictly after the entry it replaces, even
 * within one millisecond (waiters and re-checks tell the two apart by `createdAt`).
 */
function writeTime<T>(c: Computation<T>): number {
  return Math.max(Date.now(), (c.stale?.createdAt ?? 0) + 1)
}

/**
 * Whether the computation refreshes a value that is still fresh (eager refresh, `forceFresh`):
 * its failure or unstored result then leaves that value to the other callers, with a notice,
 * rather than covering it with a marker.
 */
function replacesFresh<T>(c: Computation<T>): boolean {
  return c.stale?.kind === 'value' && c.stale.freshUntil > Date.now()
}

function jitter(maxMs: number): number {
  return maxMs > 0 ? Math.floor(Math.random() * (maxMs + 1)) : 0
}
