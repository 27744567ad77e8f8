import type { EntryWrite } from '../entries/entry-store.js'
import { SerializationError } from '../errors.js'
import type { FnPlan } from '../options/fn-options.js'
import { computed, toWire, type CacheFnResult, type FnDeps } from './result.js'
import type { FunctionOutcome } from './run-fn.js'

/**
 * How a computed result leaves the holder: stored under its fence (or a "pass" / failure
 * notice when it is not stored), so every waiter, here or elsewhere, learns the outcome.
 */

/** Tell waiting instances (they fail the same way instead of each re-running the function). */
export async function announceFailure<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  error: unknown,
  fence: number | undefined,
): Promise<void> {
  const wire = toWire(error)
  if (plan.errorTtlMs > 0) {
    const [outcome] = await d.entries.write([marker(plan, 'error', wire, plan.errorTtlMs, fence)])
    if (outcome?.status === 'written') return
  }
  await d.bus.publish({ type: 'failed', origin: d.bus.origin, key: plan.keys.value, error: wire })
}

export async function storeResult<T>(
  d: FnDeps,
  { value, skip, plan }: FunctionOutcome<T>,
  fence: number | undefined,
): Promise<CacheFnResult<T>> {
  const now = Date.now()
  const result = computed(value, now)
  const refused = skip ?? (plan.shouldCache?.(value) === false ? 'predicate' : undefined)
  if (refused !== undefined) {
    d.events.emit('cache:skip', { namespace: plan.namespace, reason: refused })
    await announcePass(d, plan, fence)
    return result
  }
  const notFound = plan.notFoundTtlMs !== undefined && plan.isNotFound(value)
  const ttl = (notFound ? (plan.notFoundTtlMs ?? 0) : plan.ttlMs) + jitter(plan.jitterMs)
  if (ttl <= 0) {
    await announcePass(d, plan, fence)
    return result
  }
  const write = entryWrite(plan, value, now, ttl, fence)
  try {
    await d.entries.write([write])
  } catch (error) {
    if (!(error instanceof SerializationError)) throw error
    d.events.emit('error', { source: 'codec', operation: 'serialize', error })
    await announcePass(d, plan, fence)
    return result
  }
  return { ...result, freshUntil: write.freshUntil }
}

/** Release waiters to run the function themselves: a short marker when asked, else a notice. */
export async function announcePass<T>(
  d: FnDeps,
  plan: FnPlan<T>,
  fence: number | undefined,
): Promise<void> {
  if (plan.passTtlMs > 0) {
    const [outcome] = await d.entries.write([
      marker(plan, 'pass', undefined, plan.passTtlMs, fence),
    ])
    if (outcome?.status === 'written') return
  }
  await d.bus.publish({ type: 'pass', origin: d.bus.origin, key: plan.keys.value })
}

/** A value entry, or a marker, under the plan's key and the fence (when there is one). */
function entryWrite<T>(
  plan: FnPlan<T>,
  value: unknown,
  now: number,
  ttl: number,
  fence: number | undefined,
  kind: 'value' | 'pass' | 'error' = 'value',
): EntryWrite {
  // Markers ("pass", cached failures) have no stale window and no tags.
  const stale = kind === 'value' ? Math.max(plan.swrMs, plan.sieMs) : 0
  return {
    namespace: plan.namespace,
    keys: plan.keys,
    value,
    createdAt: now,
    freshUntil: now + ttl,
    staleUntil: now + ttl + stale,
    kind,
    tags: kind === 'value' ? plan.tags : [],
    ...(fence === undefined ? {} : { fence }),
  }
}

/** A short marker entry: "pass" (not storable) or a cached failure. */
function marker<T>(
  plan: FnPlan<T>,
  kind: 'pass' | 'error',
  value: unknown,
  ttl: number,
  fence: number | undefined,
): EntryWrite {
  return entryWrite(plan, value, Date.now(), ttl, fence, kind)
}

function jitter(maxMs: number): number {
  return maxMs > 0 ? Math.floor(Math.random() * (maxMs + 1)) : 0
}
