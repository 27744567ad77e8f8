import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Cache, CacheFnOptions } from '../../src/core.js'
import { captureResponse } from './capture.js'
import { bypassed, labelResponse } from './cache-status.js'
import type { RouteRequest } from './key.js'
import { lookup, serveLocal } from './lookup.js'
import { refreshStored, serveDirected } from './directed.js'
import { announceSurrogate, onceNext } from './next-once.js'
import { bypass, passUnsafe, serveCredentialed, serveHead } from './non-collapsing.js'
import type { CacheRouteOptions } from './options.js'
import { planRequest, type RequestPlan } from './request-plan.js'
import type { Next, Route } from './route-context.js'
import { resolveRouteOptions, type RouteSettings } from './settings.js'
import type { RouteValue } from './stored-response.js'
import { subrequestSlot } from './subrequest.js'

/** An Express-compatible middleware (Express 4 and 5). */
export type RouteMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void

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
    forcedFnOptions: { ...fnOptions, forceFresh: true },
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
    const plan = planRequest(settings, request)
    // A hit the in-process tier holds is answered here, without a single promise.
    const plain = plan.kind === 'get' && !plan.refresh && plan.directives === undefined
    if (plain && serveLocal(route, request, res, plan)) return
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

/** Every request but an L1 hit: the non-collapsing paths, or a GET through cacheFn. */
async function serve(
  route: Route,
  req: RouteRequest,
  res: ServerResponse,
  next: Next,
  plan: RequestPlan,
): Promise<void> {
  switch (plan.kind) {
    case 'unsafe':
      return passUnsafe(route, req, res, next)
    case 'bypass':
      return bypass(route, res, next, plan.reason)
    case 'head':
      return serveHead(route, req, res, next, plan)
    case 'credentialed':
      return serveCredentialed(route, req, res, next, plan)
  }
  const { parts, key, started, directives } = plan
  const ex = { req, res, next, parts, started }
  if (plan.refresh) return refreshStored(route, ex, { key, directives })
  if (directives !== undefined) return serveDirected(route, ex, { key, directives })
  return lookup(route, ex, { key, keyVary: route.settings.vary, variant: false })
}

/** The cacheFn options every GET of the route is looked up with. */
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
