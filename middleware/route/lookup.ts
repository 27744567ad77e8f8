import type { ServerResponse } from 'node:http'
import type { CacheFnContext, CacheFnResult } from '../../src/core.js'
import {
  bypassed,
  hitLabel,
  labelResponse,
  missLabel,
  REVALIDATED_LABEL,
  staleLabel,
} from './cache-status.js'
import type { RouteRequest, UrlParts } from './key.js'
import { bypass } from './non-collapsing.js'
import { keyFor, type OriginContext } from './origin.js'
import { fetchInline, OriginError, revalidate } from './origin-request.js'
import { replay } from './replay.js'
import { revalidateKept } from './revalidation.js'
import { servedInPreferredLanguage } from './language-index.js'
import type { Exchange, Route } from './route-context.js'
import { isRouteValue, toStored, type RouteValue, type StoredResponse } from './stored-response.js'
import { recordWritten } from './revalidation-record.js'

/**
 * A GET through the cache: answered from the in-process tier without an await when it holds
 * the response (`serveLocal`), else through cacheFn (`lookup`), which collapses the misses of
 * every instance onto one origin request, and then answered with the right label (`answer`).
 */

/**
 * Answer from the in-process L1 tier without a single await when it holds a fresh response
 * (following a vary pointer held there too); false when the normal path must run.
 */
export function serveLocal(
  route: Route,
  req: RouteRequest,
  res: ServerResponse,
  plan: { readonly parts: UrlParts; readonly key: string; readonly started: number },
): boolean {
  const { cache, settings, localOptions } = route
  let entry = cache.getLocal<RouteValue>(plan.key, localOptions)
  if (entry !== undefined && isRouteValue(entry.value) && entry.value.kind === 'vary') {
    const variant = keyFor({ settings, req, parts: plan.parts }, entry.value.names)
    entry = cache.getLocal<RouteValue>(variant, localOptions)
  }
  const value = entry?.value
  if (entry === undefined || !isRouteValue(value) || value.kind !== 'response' || !value.stored) {
    return false
  }
  const durationMs = performance.now() - plan.started
  cache.emit('cache:hit', { namespace: settings.namespace, tier: 'l1', durationMs })
  replay(req, res, value, hitLabel(entry.freshUntil, 'l1'))
  return true
}

/** Where a lookup reads, and how. */
export interface LookupTarget {
  readonly key: string
  /** Header names the key already includes (the route's `vary`, or a pointer's). */
  readonly keyVary: readonly string[]
  /** Whether `key` is a variant's (a pointer was followed). */
  readonly variant: boolean
  /**
   * Go to the origin although a fresh response is stored (`refresh`, request directives); the
   * stored one stays until replaced, and stands in for a 5xx within `staleIfError`.
   */
  readonly forced?: boolean
  /** Looked up again after a record write this lookup waited for (never a third time). */
  readonly retried?: boolean
  /**
   * Only the request's own variant may answer (request directives): not the one a pointer
   * names in its preferred language (`acceptLanguage: 'rfc'`).
   */
  readonly exact?: boolean
}

/**
 * Ask cacheFn for the response under `key`: a miss sends this request to the origin
 * (`fetchInline`), or, in shared mode when a stale response with a validator was kept, asks the
 * origin conditionally (`revalidateKept`); a stale entry (or a forced one) is refreshed through
 * a subrequest (`revalidate`).
 */
export async function lookup(route: Route, ex: Exchange, at: LookupTarget): Promise<void> {
  const { key, keyVary, variant } = at
  let inline = false
  let revalidated = false
  // The origin's full answer to this request's own subrequest: its answer even when unstored.
  let ownAnswer = false
  const origin: OriginContext = {
    cache: route.cache,
    settings: route.settings,
    req: ex.req,
    parts: ex.parts,
    keyVary,
    variant,
  }
  const fn = async (ctx: CacheFnContext<RouteValue>): Promise<RouteValue> => {
    const limits = { maxBytes: route.settings.maxBodySize, keep: route.keep }
    // A miss, or a refresh this request asked for (forced: it waits for the answer, which is
    // its own), asks conditionally when a validator was kept, else goes to the origin inline;
    // a stale entry another request is served meanwhile is refreshed through a subrequest.
    const made =
      ctx.stale === undefined || at.forced === true
        ? await revalidateKept(origin, ctx, limits)
        : await revalidate(route, origin, ctx)
    if (made !== undefined) {
      revalidated = true
      ownAnswer = made.own
      return made.value
    }
    inline = true
    return fetchInline(route, origin, ex, ctx)
  }
  let result: CacheFnResult<RouteValue>
  try {
    const options = at.forced === true ? route.forcedFnOptions : route.fnOptions
    result = await route.cache.cacheFnResult(key, fn, options)
  } catch (error) {
    if (inline) return
    if (error instanceof OriginError)
      return answerWith(ex, toStored(error.response, false, Date.now()))
    return bypass(route, ex.res, ex.next, 'error')
  }
  if (inline) return // this request went to the origin itself and already has its response
  return answer(route, ex, result, { revalidated, ownAnswer, at })
}

/** How this request took part in the lookup it is answered from. */
interface Led {
  readonly revalidated: boolean
  /** The value is the route's own complete answer to this request's subrequest. */
  readonly ownAnswer: boolean
  readonly at: LookupTarget
}

async function answer(
  route: Route,
  ex: Exchange,
  result: CacheFnResult<RouteValue>,
  led: Led,
): Promise<void> {
  const value = result.value
  if (!isRouteValue(value)) return bypass(route, ex.res, ex.next, 'error')
  if (value.kind === 'vary') {
    if (led.at.variant) return bypass(route, ex.res, ex.next, 'error')
    const { names } = value
    const key = keyFor({ settings: route.settings, req: ex.req, parts: ex.parts }, names)
    const { exact, forced } = led.at
    const own = exact === true || forced === true
    if (!own && (await servedInPreferredLanguage(route, ex, { pointer: value, ownKey: key }))) {
      return
    }
    return lookup(route, ex, { key, keyVary: names, variant: true, ...(own ? { exact } : {}) })
  }
  if (!value.stored && value.validated !== true) return answerUnshared(route, ex, value, led)
  if (result.status === 'stale') return replay(ex.req, ex.res, value, staleLabel(result.freshUntil))
  if (led.revalidated) return replay(ex.req, ex.res, value, REVALIDATED_LABEL)
  if (result.degraded) {
    // Another request of this process computed it without the store: shared here, not across.
    const label = bypassed(route.cache, route.settings.namespace, 'store-unavailable')
    return replay(ex.req, ex.res, value, label)
  }
  const collapsed = result.status === 'miss'
  if (collapsed) {
    // Served from the response another request of this process just produced: an HTTP hit
    // (the core counts the call as coalesced, beside the hit ratio).
    const durationMs = performance.now() - ex.started
    route.cache.emit('cache:hit', {
      namespace: route.settings.namespace,
      tier: 'store',
      durationMs,
    })
  }
  return replay(
    ex.req,
    ex.res,
    value,
    hitLabel(result.freshUntil, collapsed ? 'collapsed' : undefined),
  )
}

/**
 * A response that may not be shared (Set-Cookie, private, no-cache...). This request's own
 * subrequest made it: it is this request's answer (the origin must not run twice for it).
 * Another's: when it was kept to be revalidated (`no-cache`, shared mode), look up again once
 * its record is written, to revalidate it; else fetch our own.
 */
async function answerUnshared(
  route: Route,
  ex: Exchange,
  value: StoredResponse,
  led: Led,
): Promise<void> {
  if (led.ownAnswer) return replay(ex.req, ex.res, value, missLabel('not-storable'))
  if (mayBeKept(route, value, led)) {
    await recordWritten(route.cache, route.settings.namespace, led.at.key)
    return lookup(route, ex, { ...led.at, retried: true })
  }
  labelResponse(ex.res, missLabel('not-storable'))
  return ex.next()
}

/**
 * Whether another request's response was kept to be revalidated (`no-cache`, shared mode):
 * then look up again, once, rather than ask the origin unconditionally; not when this request
 * revalidated it itself.
 */
function mayBeKept(route: Route, value: StoredResponse, led: Led): boolean {
  return value.kept === true && route.settings.shared && !led.revalidated && led.at.retried !== true
}

/** Send the origin's own (unstored) answer, e.g. a 5xx when no stale response may stand in. */
function answerWith(ex: Exchange, response: ReturnType<typeof toStored>): void {
  replay(ex.req, ex.res, response, missLabel('origin-error'))
}
