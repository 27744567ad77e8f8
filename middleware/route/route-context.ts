import type { ServerResponse } from 'node:http'
import type { Cache, CacheFnOptions, LocalOptions } from '../../src/core.js'
import type { RouteRequest, UrlParts } from './key.js'
import type { RouteSettings } from './settings.js'
import type { RouteValue } from './stored-response.js'
import type { SubrequestCredentials } from './subrequest.js'

/**
 * What a route carries: what it builds once (`Route`) and what one request carries through it
 * (`Exchange`), so the modules of a route's paths take one argument each instead of many.
 */

/** What every path of a route reads: the cache and the validated options. */
export interface RouteScope {
  readonly cache: Cache
  readonly settings: RouteSettings
}

/** A route, built once when cacheRoute is called. */
export interface Route extends RouteScope {
  readonly fnOptions: CacheFnOptions<RouteValue>
  /** `fnOptions` with `forceFresh`: a refresh the route or a client asked for. */
  readonly forcedFnOptions: CacheFnOptions<RouteValue>
  /** The credentials subrequests keep: only those the key holds. */
  readonly keep: SubrequestCredentials
  /** How the L1 tier is asked (stored responses are never mutated: one shared copy). */
  readonly localOptions: LocalOptions
}

/** The handler's `next`, called at most once (`called` tells whether it was). */
export type Next = ((error?: unknown) => void) & { called: boolean }

/** One GET request on its way through the cache. */
export interface Exchange {
  readonly req: RouteRequest
  readonly res: ServerResponse
  readonly next: Next
  readonly parts: UrlParts
  /** performance.now() when the request reached the cache. */
  readonly started: number
}
