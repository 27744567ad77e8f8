import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  MAX_DURATION_MS,
  type Cache,
  type CacheFnContext,
  type ResultOptions,
} from '../../src/core.js'
import type { RouteSkipReason } from './cache-status.js'
import type { CapturedResponse } from './capture.js'
import { pathTag, routeKey, type RouteRequest, type UrlParts } from './key.js'
import type { RouteSettings } from './settings.js'
import { decideStore, varyList } from '../http/storability.js'
import { authorizationOnly } from './credentials.js'
import { toStored, type RouteValue, type StoredResponse } from './stored-response.js'
import { keepForRevalidation } from './revalidation-record.js'
import { pointerLanguages } from './language-index.js'
import { validatorsOf } from '../http/freshening.js'

/**
 * What happens to an origin response: the storability rules decide whether it may be shared,
 * the ttl comes from the route or the origin, tags are collected, and a response that varies on
 * request headers the key does not hold is stored as a variant behind a pointer.
 */

/** Where a response was produced. */
export interface OriginContext {
  readonly cache: Cache
  readonly settings: RouteSettings
  /** The client's request (its URL and headers make the key). */
  readonly req: RouteRequest
  readonly parts: UrlParts
  /** Header names the current key already includes (the route's `vary`, or a pointer's). */
  readonly keyVary: readonly string[]
  /** Whether this is already a variant key (a pointer was followed). */
  readonly variant: boolean
}

/** The request and response objects that produced a response (what `unless` is asked with). */
export interface Produced {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly response: CapturedResponse
}

/** Turn an origin response into the value cacheFn shares (and stores, unless skipped). */
export async function toRouteValue(
  origin: OriginContext,
  ctx: CacheFnContext<RouteValue>,
  produced: Produced,
): Promise<RouteValue> {
  const { settings } = origin
  const { response } = produced
  const now = Date.now()
  const verdict = refusal(settings, produced, false)
  if (typeof verdict === 'string') {
    ctx.skip(verdict)
    const kept = verdict === 'no-cache' && keepUnfresh(origin, response, now)
    return { ...toStored(response, false, now), ...(kept ? { kept: true } : {}) }
  }
  const tags = collectTags(settings, origin.parts, response)
  const stored = storeOptions(verdict, tags)
  const value = toStored(response, true, now, verdict.initialAgeMs)
  const extra = varyList(response.headers['vary']).filter((name) => !origin.keyVary.includes(name))
  const key = keyFor(origin, origin.keyVary)
  const placement = { cache: origin.cache, settings, ttlMs: verdict.ttlMs, tags }
  if (extra.length === 0) {
    keep({ ...placement, key }, value, response)
    ctx.setOptions(stored)
    return value
  }
  if (origin.variant) {
    // The variant's key does not hold every header this response varies on: not safe to share.
    ctx.skip('vary-star')
    return toStored(response, false, now)
  }
  const names = [...new Set([...origin.keyVary, ...extra])].sort()
  const variantKey = await storeVariant(origin, { ...placement, key }, names, { value, response })
  ctx.setOptions(stored)
  const variant = { key: variantKey, response: value }
  const languages = pointerLanguages(origin, names, variant, origin.req.headers['accept-language'])
  return { kind: 'vary', stored: true, names, ...languages }
}

/**
 * Store a response that varies on headers the key does not hold under the key that does
 * (`names`), and keep it for revalidation; the caller stores the pointer. The variant's key.
 */
async function storeVariant(
  origin: OriginContext,
  placement: { readonly key: string; readonly ttlMs: number | undefined; readonly tags: string[] },
  names: readonly string[],
  made: { readonly value: StoredResponse; readonly response: CapturedResponse },
): Promise<string> {
  const { key, ttlMs, tags } = placement
  const variantKey = keyFor(origin, names)
  await origin.cache.set(variantKey, made.value, {
    namespace: origin.settings.namespace,
    ...(ttlMs === undefined ? {} : { ttl: ttlMs }),
    tags,
  })
  const at = { cache: origin.cache, settings: origin.settings, ttlMs, tags, key: variantKey }
  keep(at, made.value, made.response, { key, names })
  return variantKey
}

/**
 * Keep a response that may be stored but is never fresh (`no-cache`, or stale again as soon as
 * a 304 confirmed it) for the next request to revalidate; not when it varies beyond the key.
 * Whether it is kept (shared mode, a 200 with a validator).
 */
export function keepUnfresh(
  origin: OriginContext,
  response: CapturedResponse,
  now: number,
): boolean {
  const { settings } = origin
  if (varyList(response.headers['vary']).some((name) => !origin.keyVary.includes(name))) {
    return false
  }
  if (!settings.shared || response.status !== 200) return false
  if (validatorsOf(response.headers) === undefined) return false
  const tags = collectTags(settings, origin.parts, response)
  const at = { cache: origin.cache, settings, key: keyFor(origin, origin.keyVary), ttlMs: 0, tags }
  keep(at, toStored(response, true, now), response)
  return true
}

/**
 * Keep a response for revalidation (shared mode), beside its own write, never before it: the
 * record does not delay the response's entry (an invalidation racing the two may then miss the
 * record, which only ever leads to a conditional request, RFC 9111 4.4's "invalid, in need of
 * validation"). A store failure only loses the record.
 */
function keep(...args: Parameters<typeof keepForRevalidation>): void {
  void keepForRevalidation(...args).catch((error: unknown) => {
    args[0].cache.emit('error', { source: 'store', operation: 'cacheRoute', error: error as Error })
  })
}

/** How a response the rules let through is stored: its lifetime, tags, stale windows. */
export function storeOptions(verdict: StoreVerdict, tags: string[]): ResultOptions {
  return {
    ...(verdict.ttlMs === undefined ? {} : { ttl: verdict.ttlMs }),
    tags,
    ...(verdict.noStale ? { staleWhileRevalidate: 0, staleIfError: 0 } : {}),
  }
}

/** The key of this request under a set of vary headers (the route's own `key` when given). */
export function keyFor(
  origin: Pick<OriginContext, 'settings' | 'req' | 'parts'>,
  vary: readonly string[],
): string {
  const { settings, req, parts } = origin
  const selecting = settings.shared && settings.rfcLanguage ? 'rfc' : settings.shared
  if (settings.key === undefined) return routeKey(parts, req, vary, selecting)
  const base = settings.key(req)
  if (vary.length === 0) return base
  return `${base}\u0000${routeKey({ ...parts, target: '' }, req, vary, selecting)}`
}

/** A response that may be stored: for how long, how old it already is, whether never stale. */
export interface StoreVerdict {
  /** Its lifetime in the store (undefined: the route's ttl). */
  readonly ttlMs: number | undefined
  readonly initialAgeMs: number
  readonly noStale: boolean
}

/**
 * Why a response may not be shared, or how long it may be. Asked before every store: `unless`
 * first, then the storability rules on the headers that went on the wire. A response to a
 * credentialed request lives only as long as its own headers say, never the route's ttl; so
 * does every response in shared mode (explicitly or heuristically) and with `originTtl`, when
 * its origin gives a lifetime.
 */
export function refusal(
  settings: RouteSettings,
  produced: Produced,
  credentialed: boolean,
): RouteSkipReason | StoreVerdict {
  if (settings.unless?.(produced.req, produced.res) === true) return 'unless'
  const { response } = produced
  const facts = { ...response, headers: { ...response.wire, ...response.withheld } }
  const decision = decideStore(facts, {
    statuses: settings.statuses,
    credentialed,
    authorizationOnly: credentialed && authorizationOnly(produced.req.headers, settings),
    shared: settings.shared,
    heuristicCapMs: settings.heuristicCapMs,
    times: response,
  })
  if (!decision.store) return decision.reason
  const { remainingMs, initialAgeMs } = decision
  const noStale = settings.shared && decision.noStale
  const fromOrigin = credentialed || settings.originTtl ? remainingMs : undefined
  // An origin lifetime used up ("max-age=0", a past Expires, an Age beyond it): not reusable.
  if (fromOrigin !== undefined && fromOrigin <= 0) return 'stale'
  const ttlMs = fromOrigin === undefined ? settings.ttlMs : clampLifetime(fromOrigin)
  return { ttlMs, initialAgeMs, noStale }
}

/** Whole milliseconds, at most the longest lifetime the store takes (ten years). */
function clampLifetime(ms: number): number {
  return Math.max(1, Math.min(MAX_DURATION_MS, Math.floor(ms)))
}

/** Tags of a stored response: the route's, `Cache-Tag`, `tagResponse()`, and its path. */
export function collectTags(
  settings: RouteSettings,
  parts: UrlParts,
  response: CapturedResponse,
): string[] {
  const header = response.headers['cache-tag']
  const fromHeader = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(/[\s,]+/)
    .filter((tag) => tag !== '')
  const path = pathTag(settings.namespace, parts.path)
  return [...new Set([...settings.tags, ...fromHeader, ...response.tags, path])]
}

/** Add tags to the response being cached (call it from a handler before sending). */
export function tagResponse(res: ServerResponse, ...tags: string[]): void {
  const holder = res as { locals?: { cacheTags?: string[] } }
  holder.locals ??= {}
  holder.locals.cacheTags = [...(holder.locals.cacheTags ?? []), ...tags]
}

/** Invalidate every cached entry of a path (all query strings, hosts and variants) in a namespace. */
export function invalidatePath(
  cache: Cache,
  path: string,
  options: { namespace?: string } = {},
): Promise<number> {
  return cache.invalidate({ tags: [pathTag(options.namespace ?? 'routes', path)] })
}
