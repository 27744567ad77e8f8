import type { ServerResponse } from 'node:http'
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
  readonly req: RouteRequest
  /** The live response (inline) or undefined (a subrequest: `unless` then sees no response). */
  readonly res: ServerResponse | undefined
  readonly parts: UrlParts
  /** Header names the current key already includes (the route's `vary`, or a pointer's). */
  readonly keyVary: readonly string[]
  /** Whether this is already a variant key (a pointer was followed). */
  readonly variant: boolean
}

/** Turn an origin response into the value cacheFn shares (and stores, unless skipped). */
export async function toRouteValue(
  origin: OriginContext,
  ctx: CacheFnContext<RouteValue>,
  response: CapturedResponse,
): Promise<RouteValue> {
  const { settings } = origin
  const now = Date.now()
  const refused = refusal(origin, response, now)
  if (typeof refused === 'string') {
    ctx.skip(refused)
    return toStored(response, false, now)
  }
  const ttl = refused.ttlMs
  const tags = collectTags(origin, response)
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

/** Why a response may not be shared, or how long it may be. */
function refusal(
  origin: OriginContext,
  response: CapturedResponse,
  now: number,
): RouteSkipReason | { ttlMs: number | undefined } {
  const { settings, req, res } = origin
  if (res !== undefined && settings.unless?.(req, res) === true) return 'unless'
  const decision = decideStore(
    response,
    { statuses: settings.statuses, sharedAuthorization: false },
    now,
  )
  if (!decision.store) return decision.reason
  const fromOrigin = settings.originTtl ? decision.originTtlMs : undefined
  // An origin lifetime of 0 ("max-age=0", a past Expires) means: do not reuse it.
  if (fromOrigin === 0) return 'no-store'
  return { ttlMs: fromOrigin ?? settings.ttlMs }
}

function collectTags(origin: OriginContext, response: CapturedResponse): string[] {
  const header = response.headers['cache-tag']
  const fromHeader = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(/[\s,]+/)
    .filter((tag) => tag !== '')
  const fromLocals = localsTags(origin.res)
  const path = pathTag(origin.settings.namespace, origin.parts.path)
  return [...new Set([...origin.settings.tags, ...fromHeader, ...fromLocals, path])]
}

function localsTags(res: ServerResponse | undefined): string[] {
  const locals = (res as { locals?: { cacheTags?: unknown } } | undefined)?.locals
  const tags = locals?.cacheTags
  return Array.isArray(tags)
    ? tags.filter((tag): tag is string => typeof tag === 'string' && tag !== '')
    : []
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
