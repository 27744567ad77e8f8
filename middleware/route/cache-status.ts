import type { ServerResponse } from 'node:http'
import type { Cache } from '../../src/core.js'
import type { StoreRefusal } from '../http/storability.js'

/**
 * cacheRoute's vocabulary, in one place: the `X-Cache` and RFC 9211 `Cache-Status` labels of
 * every answer, and the reasons it reports for bypasses and unstored responses. Every BYPASS
 * answer is counted (`cache:bypass`) and labelled by `bypassed`, with the reason as its detail.
 */

/** The `X-Cache` values. */
export type XCache = 'HIT' | 'STALE' | 'MISS' | 'BYPASS'

/** How an answer is labelled: `X-Cache` and the `Cache-Status` value (without the cache key). */
export interface ResponseLabel {
  readonly xCache: XCache
  readonly cacheStatus: string
}

/**
 * Why cacheRoute went past the cache (the `cache:bypass` reasons, counted in stats):
 * `client` (the route's `bypass` predicate), `method` (not GET or HEAD), `authorization` and
 * `cookie` (a request carrying that credential, without a shareable and fresh stored response),
 * `precondition` (If-Match / If-Unmodified-Since: the origin answers that client alone), `head-miss` (HEAD with nothing
 * stored), `error` (the cache failed this request), `store-unavailable` (computed without the
 * store or the lock: nothing shared), `invalid-host` (a Host header that is not host[:port]:
 * the handler could misread it, so it is never cached), `no-store` (a request's `no-store`
 * directive, when the route allows it, and nothing stored could answer).
 */
export type RouteBypassReason =
  | 'client'
  | 'method'
  | 'authorization'
  | 'cookie'
  | 'precondition'
  | 'head-miss'
  | 'error'
  | 'store-unavailable'
  | 'invalid-host'
  | 'no-store'

/**
 * Why cacheRoute did not store a response (the `cache:skip` reasons, counted in stats): the
 * HTTP storability rules' refusals, and `unless` (the route's `unless` predicate).
 */
export type RouteSkipReason = StoreRefusal | 'unless'

/** Remaining freshness in whole seconds, negative once stale (RFC 9211 `ttl`). */
export function ttlSeconds(freshUntil: number): number {
  return Math.floor((freshUntil - Date.now()) / 1000)
}

/** A fresh stored response; `l1` when read in process, `collapsed` when another request made it. */
export function hitLabel(freshUntil: number, detail?: 'l1' | 'collapsed'): ResponseLabel {
  const ttl = ttlSeconds(freshUntil)
  const cacheStatus =
    detail === undefined
      ? `herdlock; hit; ttl=${ttl}`
      : `herdlock; hit; ttl=${ttl}; detail=${detail}`
  return { xCache: 'HIT', cacheStatus }
}

/** A stale stored response (stale-while-revalidate, stale-if-error, soft timeout). */
export function staleLabel(freshUntil: number): ResponseLabel {
  return {
    xCache: 'STALE',
    cacheStatus: `herdlock; hit; ttl=${ttlSeconds(freshUntil)}; detail=stale`,
  }
}

/** A stale entry this request refreshed and stored (it waited for the origin). */
export const REVALIDATED_LABEL: ResponseLabel = Object.freeze({
  xCache: 'MISS',
  cacheStatus: 'herdlock; fwd=stale; stored',
})

const MISS_LABELS = Object.freeze({
  origin: Object.freeze({ xCache: 'MISS', cacheStatus: 'herdlock; fwd=uri-miss' }),
  'not-storable': Object.freeze({
    xCache: 'MISS',
    cacheStatus: 'herdlock; fwd=uri-miss; detail=not-storable',
  }),
  'origin-error': Object.freeze({
    xCache: 'MISS',
    cacheStatus: 'herdlock; fwd=uri-miss; detail=origin-error',
  }),
} satisfies Record<string, ResponseLabel>)

/**
 * A miss: `origin` this request goes to the origin, `not-storable` the response another
 * request fetched may not be shared (this one fetches its own), `origin-error` the origin's own
 * unstored error answer.
 */
export function missLabel(kind: keyof typeof MISS_LABELS): ResponseLabel {
  return MISS_LABELS[kind]
}

const bypassLabel = (reason: RouteBypassReason): ResponseLabel =>
  Object.freeze({ xCache: 'BYPASS', cacheStatus: `herdlock; fwd=bypass; detail=${reason}` })

// A Record over the union: a new reason does not compile until it has its label.
const BYPASS_LABELS: Readonly<Record<RouteBypassReason, ResponseLabel>> = Object.freeze({
  client: bypassLabel('client'),
  method: bypassLabel('method'),
  authorization: bypassLabel('authorization'),
  cookie: bypassLabel('cookie'),
  precondition: bypassLabel('precondition'),
  'head-miss': bypassLabel('head-miss'),
  error: bypassLabel('error'),
  'store-unavailable': bypassLabel('store-unavailable'),
  'invalid-host': bypassLabel('invalid-host'),
  'no-store': bypassLabel('no-store'),
})

/** Count a bypass (`cache:bypass`) and return its label: every BYPASS answer goes through here. */
export function bypassed(
  cache: Cache,
  namespace: string,
  reason: RouteBypassReason,
): ResponseLabel {
  cache.emit('cache:bypass', { namespace, reason })
  return BYPASS_LABELS[reason]
}

/** Label an answer the cache does not send itself (a miss or a bypass going to the origin). */
export function labelResponse(res: ServerResponse, label: ResponseLabel): void {
  if (res.headersSent) return
  res.setHeader('x-cache', label.xCache)
  res.setHeader('cache-status', label.cacheStatus)
}
