import { MAX_DURATION_MS, type Cache } from '../../src/core.js'
import { validatorsOf, type Validators } from '../http/freshening.js'
import type { CapturedResponse } from './capture.js'
import type { RouteSettings } from './settings.js'
import type { StoredResponse } from './stored-response.js'

/**
 * Shared mode keeps what it needs to revalidate a stored response once it is stale (RFC 9111
 * 4.3): the response and the origin's validators, in an entry of its own beside the response's,
 * which outlives it by the route's `ttl` (the heuristic cap). That entry is never served: a
 * stale response is only ever used again after a 304 from the origin.
 */

/** A stored response kept for revalidation. */
export interface RevalidationRecord {
  readonly kind: 'revalidation'
  readonly response: StoredResponse
  /** The origin's own validators (never the ETag the cache generates). */
  readonly validators: Validators
  /** Fields for the cache alone the response came with (`Herdlock-Cache-Control`). */
  readonly withheld: Readonly<Record<string, string | string[]>>
}

/** Under the key of a response that varies: the headers its variants are keyed on. */
export interface VaryRecord {
  readonly kind: 'revalidation-vary'
  readonly names: readonly string[]
}

/** The key of the record of a route key (route keys are JSON arrays, custom keys strings). */
export function recordKey(key: string): string {
  return JSON.stringify(['revalidation', key])
}

/** Where a response was stored, and for how long. */
export interface Placement {
  readonly cache: Cache
  readonly settings: RouteSettings
  readonly key: string
  /** The response's own lifetime in the store (undefined: the route's ttl). */
  readonly ttlMs: number | undefined
  readonly tags: readonly string[]
}

/**
 * Keep a stored 200 for revalidation when its origin gave it a validator (shared mode). With
 * `base` (a response stored as a variant), the base key's record names the variant headers.
 */
export async function keepForRevalidation(
  at: Placement,
  stored: StoredResponse,
  captured: CapturedResponse,
  base?: { readonly key: string; readonly names: readonly string[] },
): Promise<void> {
  const { cache, settings } = at
  if (!settings.shared || stored.status !== 200) return
  const validators = validatorsOf(captured.headers)
  if (validators === undefined) return
  const ttl = Math.min(
    MAX_DURATION_MS,
    (at.ttlMs ?? settings.heuristicCapMs) + settings.heuristicCapMs,
  )
  const options = { namespace: settings.namespace, ttl, tags: [...at.tags] }
  const record: RevalidationRecord = {
    kind: 'revalidation',
    response: stored,
    validators,
    withheld: captured.withheld,
  }
  const write = (async () => {
    await cache.set(recordKey(at.key), record, options)
    if (base !== undefined) {
      const pointer: VaryRecord = { kind: 'revalidation-vary', names: base.names }
      await cache.set(recordKey(base.key), pointer, options)
    }
  })()
  track(cache, settings.namespace, [at.key, base?.key], write)
  await write
}

/**
 * Record writes in flight in this process, by cache, namespace and route key. The response that made
 * a record reaches its client before the record is written; a request right behind it (the same
 * client revalidating a `no-cache` response) waits for the write instead of missing the record
 * and asking the origin unconditionally. Other instances can still miss it: nothing wrong, one
 * full response more.
 */
const pending = new WeakMap<Cache, Map<string, Promise<void>>>()

/** The record write in flight for a route key of this cache, if any (it never rejects). */
export function recordWritten(
  cache: Cache,
  namespace: string,
  key: string,
): Promise<void> | undefined {
  return pending.get(cache)?.get(`${namespace}\u0000${key}`)
}

function track(
  cache: Cache,
  namespace: string,
  keys: readonly (string | undefined)[],
  write: Promise<void>,
): void {
  const inFlight = pending.get(cache) ?? new Map<string, Promise<void>>()
  pending.set(cache, inFlight)
  const settled = write.catch(() => undefined)
  for (const key of keys) {
    if (key === undefined) continue
    const id = `${namespace}\u0000${key}`
    inFlight.set(id, settled)
    void settled.then(() => {
      if (inFlight.get(id) === settled) inFlight.delete(id)
    })
  }
}

/** Whether a value read back is a record (anything else is ignored). */
export function isRecord(value: unknown): value is RevalidationRecord | VaryRecord {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Partial<RevalidationRecord> & Partial<VaryRecord>
  if (record.kind === 'revalidation-vary') return Array.isArray(record.names)
  return (
    record.kind === 'revalidation' &&
    typeof record.validators === 'object' &&
    typeof record.response === 'object' &&
    Buffer.isBuffer(record.response?.body)
  )
}
