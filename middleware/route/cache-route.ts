import type { IncomingMessage, ServerResponse } from 'node:http'
import type {
  Cache,
  CacheFnContext,
  CacheFnOptions,
  CacheFnResult,
  LocalOptions,
} from '../../src/core.js'
import { captureResponse, type CapturedResponse } from './capture.js'
import { withholdTargeted } from './withheld.js'
import { replay } from './replay.js'
import {
  bypassed,
  hitLabel,
  labelResponse,
  missLabel,
  REVALIDATED_LABEL,
  staleLabel,
  type RouteBypassReason,
} from './cache-status.js'
import { keyFor, toRouteValue, type OriginContext } from './origin.js'
import { credentialOf, type Credential } from './credentials.js'
import { urlParts, type RouteRequest, type UrlParts } from './key.js'
import type { CacheRouteOptions } from './options.js'
import { resolveRouteOptions, type RouteSettings } from './settings.js'
import { nonCollapsingHandlers } from './non-collapsing.js'
import { SURROGATE_CAPABILITY } from '../http/targeted.js'
import { isRouteValue, toStored, type RouteValue } from './stored-response.js'
import {
  canSubrequest,
  runSubrequest,
  subrequestSlot,
  type SubrequestCredentials,
} from './subrequest.js'

/** An Express-compatible middleware (Express 4 and 5). */
export type RouteMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void

/** The origin answered 5xx while a stale response was at hand (stale-if-error). */
class OriginError extends Error {
  constructor(readonly response: CapturedResponse) {
    super(`origin answered ${response.status}`)
    this.name = 'OriginError'
  }
}

/**
 * Cache whole responses of a route in the cache's store, by namespace and canonical URL.
 * Concurrent misses for one URL reach the origin once across every instance; hits are replayed
 * byte for byte with `Age`, `X-Cache` and `Cache-Status`; 304s, HEAD, Vary, stale serving and
 * invalidation from any instance are handled. Responses that must not be shared (Set-Cookie,
 * private, no-store, errors, partial, responses to requests with Authorization or a personal
 * Cookie) are never stored nor shared.
 *
 * @example
 * app.get('/api/matches/:id', cacheRoute(cache, { ttl: '30s', namespace: 'matches' }), handler)
 */
export function cacheRoute(cache: Cache, options: CacheRouteOptions = {}): RouteMiddleware {
  const settings = resolveRouteOptions(cache, options)
  const fnOptions = cacheFnOptions(settings)
  const route: Route = {
    cache,
    settings,
    fnOptions,
    nonCollapsing: nonCollapsingHandlers(cache, settings),
    keep: { authorization: settings.keysAuthorization, cookie: settings.keysCookie },
    localOptions: { namespace: settings.namespace, immutable: true, silent: true },
  }
  return function herdlockCacheRoute(req, res, next) {
    const slot = subrequestSlot(req)
    if (slot !== undefined) {
      // A background revalidation: capture at this point of the chain, without a client.
      slot.capture(captureResponse(res, { maxBytes: settings.maxBodySize, detached: true }))
      if (settings.shared) announceSurrogate(req)
      return next()
    }
    const request = req as RouteRequest
    const plan = planRequest(route, request)
    // A hit the in-process tier holds is answered here, without a single promise.
    if (plan.kind === 'get' && !plan.refresh && serveLocal(route, request, res, plan)) return
    const once = onceNext(next, res, settings.shared ? request : undefined)
    serve(route, request, res, once, plan).catch((error: unknown) => {
      cache.emit('error', { source: 'store', operation: 'cacheRoute', error: error as Error })
      if (!once.called && !res.headersSent) {
        labelResponse(res, bypassed(cache, settings.namespace, 'error'))
        once()
      }
    })
  }
}

interface Route {
  readonly cache: Cache
  readonly settings: RouteSettings
  readonly fnOptions: CacheFnOptions<RouteValue>
  readonly nonCollapsing: ReturnType<typeof nonCollapsingHandlers>
  /** The credentials subrequests keep: only those the key holds. */
  readonly keep: SubrequestCredentials
  /** How the L1 tier is asked (stored responses are never mutated: one shared copy). */
  readonly localOptions: LocalOptions
}

type Next = ((error?: unknown) => void) & { called: boolean }

/** What kind of request this is for the cache, decided once (predicates run once). */
type RequestPlan =
  | {
      readonly kind: 'get'
      readonly parts: UrlParts
      readonly key: string
      readonly refresh: boolean
      readonly started: number
    }
  | {
      readonly kind: 'head'
      readonly parts: UrlParts
      readonly key: string
      readonly credential: Credential | undefined
    }
  | {
      readonly kind: 'credentialed'
      readonly parts: UrlParts
      readonly key: string
      readonly credential: Credential
    }
  | { readonly kind: 'unsafe' }
  | { readonly kind: 'bypass'; readonly reason: RouteBypassReason }

/** Safe methods other than GET and HEAD (RFC 9110 9.2.1, WebDAV): never cached, never invalidate. */
const SAFE_METHODS = new Set(['OPTIONS', 'TRACE', 'PROPFIND', 'REPORT', 'SEARCH', 'QUERY'])

function planRequest(route: Route, req: RouteRequest): RequestPlan {
  const { settings } = route
  // Express gives every request a new prototype, so each property read here is a slow lookup:
  // read each once.
  const method = req.method
  if (method !== 'GET' && method !== 'HEAD') {
    return SAFE_METHODS.has(method ?? '') ? BYPASS_METHOD : UNSAFE
  }
  if (settings.bypass?.(req) === true) return BYPASS_CLIENT
  const headers = req.headers
  // Preconditions are for the origin (a 412 is that client's answer alone): the request goes
  // there by itself, neither led nor stored, and leaves the key as it was.
  if (headers['if-match'] !== undefined || headers['if-unmodified-since'] !== undefined) {
    return BYPASS_PRECONDITION
  }
  const parts = urlParts(req)
  // A Host the handler could misread (userinfo, a path, two ports) is never cached.
  if (!parts.hostValid) return { kind: 'bypass', reason: 'invalid-host' }
  const key = keyFor({ settings, req, parts }, settings.vary)
  const credential = credentialOf(headers, settings)
  if (method === 'HEAD') return { kind: 'head', parts, key, credential }
  if (credential !== undefined) return { kind: 'credentialed', parts, key, credential }
  const refresh = settings.refresh?.(req) === true
  return { kind: 'get', parts, key, refresh, started: performance.now() }
}

const UNSAFE: RequestPlan = { kind: 'unsafe' }
const BYPASS_METHOD: RequestPlan = { kind: 'bypass', reason: 'method' }
const BYPASS_CLIENT: RequestPlan = { kind: 'bypass', reason: 'client' }
const BYPASS_PRECONDITION: RequestPlan = { kind: 'bypass', reason: 'precondition' }

async function serve(
  route: Route,
  req: RouteRequest,
  res: ServerResponse,
  next: Next,
  plan: RequestPlan,
): Promise<void> {
  const { nonCollapsing } = route
  switch (plan.kind) {
    case 'unsafe':
      return nonCollapsing.unsafe(req, res, next)
    case 'bypass':
      return nonCollapsing.bypass(res, next, plan.reason)
    case 'head':
      return nonCollapsing.head(req, res, next, plan)
    case 'credentialed':
      return nonCollapsing.credentialed(req, res, next, plan)
  }
  if (plan.refresh) await route.cache.delete(plan.key, { namespace: route.settings.namespace })
  const { parts, key, started } = plan
  return lookup(route, { req, res, next, parts, started }, key, route.settings.vary, false)
}

interface Exchange {
  readonly req: RouteRequest
  readonly res: ServerResponse
  readonly next: Next
  readonly parts: UrlParts
  /** performance.now() when the request reached the cache. */
  readonly started: number
}

async function lookup(
  route: Route,
  ex: Exchange,
  key: string,
  keyVary: readonly string[],
  variant: boolean,
): Promise<void> {
  let inline = false
  let revalidated = false
  const origin: OriginContext = {
    cache: route.cache,
    settings: route.settings,
    req: ex.req,
    parts: ex.parts,
    keyVary,
    variant,
  }
  const fn = async (ctx: CacheFnContext<RouteValue>): Promise<RouteValue> => {
    if (ctx.stale !== undefined) {
      revalidated = true
      return revalidate(route, origin, ctx)
    }
    inline = true
    return fetchInline(route, origin, ex, ctx)
  }
  let result: CacheFnResult<RouteValue>
  try {
    result = await route.cache.cacheFnResult(key, fn, route.fnOptions)
  } catch (error) {
    if (inline) return
    if (error instanceof OriginError)
      return answerWith(ex, toStored(error.response, false, Date.now()))
    return route.nonCollapsing.bypass(ex.res, ex.next, 'error')
  }
  if (inline) return // this request went to the origin itself and already has its response
  return answer(route, ex, result, revalidated, variant)
}

async function answer(
  route: Route,
  ex: Exchange,
  result: CacheFnResult<RouteValue>,
  revalidated: boolean,
  variant: boolean,
): Promise<void> {
  const value = result.value
  if (!isRouteValue(value)) return route.nonCollapsing.bypass(ex.res, ex.next, 'error')
  if (value.kind === 'vary') {
    if (variant) return route.nonCollapsing.bypass(ex.res, ex.next, 'error')
    const key = keyFor({ settings: route.settings, req: ex.req, parts: ex.parts }, value.names)
    return lookup(route, ex, key, value.names, true)
  }
  if (!value.stored) {
    // The leader's response was not shareable (Set-Cookie, private, ...): fetch our own.
    labelResponse(ex.res, missLabel('not-storable'))
    return ex.next()
  }
  if (result.status === 'stale') return replay(ex.req, ex.res, value, staleLabel(result.freshUntil))
  if (revalidated) return replay(ex.req, ex.res, value, REVALIDATED_LABEL)
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
 * Answer from the in-process L1 tier without a single await when it holds a fresh response
 * (following a vary pointer held there too); false when the normal path must run.
 */
function serveLocal(
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

/** Send the origin's own (unstored) answer, e.g. a 5xx when no stale response may stand in. */
function answerWith(ex: Exchange, response: ReturnType<typeof toStored>): void {
  replay(ex.req, ex.res, response, missLabel('origin-error'))
}

/**
 * This request becomes the origin request: its response streams to its client while captured.
 * Its own request shape stays its own: validators and Range are dropped (the full response is
 * what others need, and a 200 answers them too), and when its client leaves before the response
 * is complete, a subrequest produces the response the others wait for.
 */
async function fetchInline(
  route: Route,
  origin: OriginContext,
  ex: Exchange,
  ctx: CacheFnContext<RouteValue>,
): Promise<RouteValue> {
  const { cache, settings } = origin
  const label = ctx.degraded
    ? bypassed(cache, settings.namespace, 'store-unavailable')
    : missLabel('origin')
  labelResponse(ex.res, label)
  // A miss always fetches (and stores) the full response: a 200 is a valid answer to a
  // conditional request or a Range request, and the next ones get their 304 or part from it.
  const headers = ex.req.headers
  delete headers['if-none-match']
  delete headers['if-modified-since']
  delete headers['range']
  delete headers['if-range']
  const captured = captureResponse(ex.res, { maxBytes: origin.settings.maxBodySize })
  ex.next()
  const response = await captured
  if (!response.aborted) return toRouteValue(origin, ctx, { req: ex.req, res: ex.res, response })
  if (!canSubrequest(ex.req)) throw new Error('the client left before its response was complete')
  const produced = await runSubrequest(ex.req, route.settings.maxBodySize, route.keep)
  if (produced.response.status >= 500) throw new OriginError(produced.response)
  return toRouteValue(origin, ctx, produced)
}

/**
 * Refresh a stale entry through a subrequest (anonymous unless the key holds the credential);
 * a 5xx keeps the stale one (stale-if-error).
 */
async function revalidate(
  route: Route,
  origin: OriginContext,
  ctx: CacheFnContext<RouteValue>,
): Promise<RouteValue> {
  const produced = await runSubrequest(origin.req, route.settings.maxBodySize, route.keep)
  if (produced.response.status >= 500) throw new OriginError(produced.response)
  return toRouteValue(origin, ctx, produced)
}

function cacheFnOptions(settings: RouteSettings): CacheFnOptions<RouteValue> {
  return {
    namespace: settings.namespace,
    ...(settings.ttlMs === undefined ? {} : { ttl: settings.ttlMs }),
    staleWhileRevalidate: settings.staleWhileRevalidateMs,
    staleIfError: settings.staleIfErrorMs,
    timeout: settings.timeoutMs,
    passTtl: settings.passTtlMs,
    onWaitTimeout: 'run',
    // Stored responses are only ever replayed, never changed: L1 hits can share one copy.
    immutable: true,
    ...(settings.lockTtl === undefined ? {} : { lockTtl: settings.lockTtl }),
    ...(settings.waitTimeout === undefined ? {} : { waitTimeout: settings.waitTimeout }),
  }
}

function announceSurrogate(req: RouteRequest): void {
  const seen = [req.headers['surrogate-capability'] ?? []].flat().filter((item) => item !== '')
  req.headers['surrogate-capability'] = [...seen, SURROGATE_CAPABILITY].join(', ')
}

/**
 * `next`, called once: the request goes to the handler, whose response then never shows the
 * cache-only fields. In shared mode (`announce`), the handler is told it may target herdlock in
 * Surrogate-Control (`max-age=60;herdlock`). Hits never get here: their path is the same in
 * both modes.
 */
function onceNext(
  next: (error?: unknown) => void,
  res: ServerResponse,
  announce: RouteRequest | undefined,
): Next {
  const once = ((error?: unknown) => {
    if (once.called) return
    once.called = true
    if (announce !== undefined) announceSurrogate(announce)
    withholdTargeted(res)
    next(error)
  }) as Next
  once.called = false
  return once
}
