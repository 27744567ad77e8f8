import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Cache, CacheFnContext } from '../../src/core.js'
import type { RouteSkipReason } from './cache-status.js'
import type { CapturedResponse } from './capture.js'
import { pathTag, routeKey, type RouteRequest, type UrlParts } from './key.js'
import type { RouteSettings } from './options.js'
import { decideStore, varyList } from '../http/storability.js'
import { toStored, type RouteValue } from './stored-response.js'

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
  const refused = refusal(settings, produced, false, now)
  if (typeof refused === 'string') {
    ctx.skip(refused)
    return toStored(response, false, now)
  }
  const ttl = refused.ttlMs
  const tags = collectTags(settings, origin.parts, response)
  const stored = ttl === undefined ? { tags } : { ttl, tags }
  const extra = varyList(response.headers['vary']).filter((name) => !origin.keyVary.includes(name))
  if (extra.length === 0) {
    ctx.setOptions(stored)
    return toStored(response, true, now)
  }
  if (origin.variant) {
    // The variant's key does not hold every header this response varies on: not safe to share.
    ctx.skip('vary-star')
    return toStored(response, false, now)
  }
  const names = [...new Set([...origin.keyVary, ...extra])].sort()
  const variantKey = keyFor(origin, names)
  await origin.cache.set(variantKey, toStored(response, true, now), {
    namespace: settings.namespace,
    ...(ttl === undefined ? {} : { ttl }),
    tags,
  })
  ctx.setOptions(stored)
  return { kind: 'vary', stored: true, names }
}

/** The key of this request under a set of vary headers (the route's own `key` when given). */
export function keyFor(
  origin: Pick<OriginContext, 'settings' | 'req' | 'parts'>,
  vary: readonly string[],
): string {
  const { settings, req, parts } = origin
  if (settings.key === undefined) return routeKey(parts, req, vary)
  const base = settings.key(req)
  return vary.length === 0 ? base : `${base}\u0000${routeKey({ ...parts, target: '' }, req, vary)}`
}

/**
 * Why a response may not be shared, or how long it may be. Asked before every store: `unless`
 * first, then the storability rules on the headers that went on the wire. A response to a
 * credentialed request lives only as long as its own headers say, never the route's ttl.
 */
export function refusal(
  settings: RouteSettings,
  produced: Produced,
  credentialed: boolean,
  now: number,
): RouteSkipReason | { ttlMs: number | undefined } {
  if (settings.unless?.(produced.req, produced.res) === true) return 'unless'
  const { response } = produced
  const facts = { ...response, headers: response.wire }
  const decision = decideStore(facts, { statuses: settings.statuses, credentialed }, now)
  if (!decision.store) return decision.reason
  if (credentialed) return { ttlMs: decision.originTtlMs }
  const fromOrigin = settings.originTtl ? decision.originTtlMs : undefined
  // An origin lifetime of 0 ("max-age=0", a past Expires) means: do not reuse it.
  if (fromOrigin === 0) return 'no-store'
  return { ttlMs: fromOrigin ?? settings.ttlMs }
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
