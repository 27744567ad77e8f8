import type { CacheFnContext } from '../../src/core.js'
import { bypassed, labelResponse, missLabel } from './cache-status.js'
import { captureResponse, type CapturedResponse } from './capture.js'
import { toRouteValue, type OriginContext } from './origin.js'
import type { Exchange, Route } from './route-context.js'
import type { RouteValue } from './stored-response.js'
import { canSubrequest, runSubrequest, type SubrequestResult } from './subrequest.js'

/**
 * How a miss reaches the origin: this request itself (`fetchInline`), or a copy of it run through
 * the application (`revalidate`, and `fetchInline` when its client left).
 */

/** The origin answered 5xx while a stale response was at hand (stale-if-error). */
export class OriginError extends Error {
  constructor(readonly response: CapturedResponse) {
    super(`origin answered ${response.status}`)
    this.name = 'OriginError'
  }
}

/**
 * Middleware ahead of the route answered a subrequest (a rate limiter's 429, an auth 401): that
 * is not the origin's answer, so it is neither stored nor given to the client, whose own request
 * then goes on to the handler (or gets the stale response within `staleIfError`).
 */
export class AnsweredAheadError extends Error {
  constructor(readonly status: number) {
    super(`a subrequest was answered ${status} before it reached the route`)
    this.name = 'AnsweredAheadError'
  }
}

/** A subrequest's result as the origin's: throws when something ahead of the route answered. */
export function fromOrigin(produced: SubrequestResult): SubrequestResult {
  if (!produced.reached) throw new AnsweredAheadError(produced.response.status)
  return produced
}

/**
 * This request becomes the origin request: its response streams to its client while captured.
 * Its own request shape stays its own: validators and Range are dropped (the full response is
 * what others need, and a 200 answers them too), and when its client leaves before the response
 * is complete, a subrequest produces the response the others wait for.
 */
export async function fetchInline(
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

/** A route value, and whether it may answer the request whose subrequest produced it. */
export interface OwnValue {
  readonly value: RouteValue
  /** Even unstored: the route's own complete answer to that request (see {@link ownAnswer}). */
  readonly own: boolean
}

/**
 * Refresh a stale entry through a subrequest (anonymous unless the key holds the credential);
 * a 5xx keeps the stale one (stale-if-error).
 */
export async function revalidate(
  route: Route,
  origin: OriginContext,
  ctx: CacheFnContext<RouteValue>,
): Promise<OwnValue> {
  const produced = fromOrigin(
    await runSubrequest(origin.req, route.settings.maxBodySize, route.keep),
  )
  if (produced.response.status >= 500) throw new OriginError(produced.response)
  return { value: await toRouteValue(origin, ctx, produced), own: ownAnswer(produced) }
}

/**
 * Whether a subrequest's answer, stored or not, may answer the request that made it instead of
 * running the handler again for it: only the route's own capture of a complete response (not
 * a body cut at `maxBodySize`, not what middleware ahead of the route answered the copy, such
 * as a rate limiter counting it as one more request).
 */
export function ownAnswer(produced: SubrequestResult): boolean {
  const { response } = produced
  return produced.reached && !response.bodyTooLarge && !response.aborted
}
