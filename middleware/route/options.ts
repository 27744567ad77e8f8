import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duration } from '../../src/core.js'

/** How cacheRoute decides what to store and for how long (the `mode` option). */
export type RouteMode = 'default' | 'shared'

/**
 * Who may use a Cache-Control request directive: every client (`true`), none (`false`), or the
 * requests a predicate picks (an internal network, a signed-in admin...).
 */
export type DirectivePermission = boolean | ((req: IncomingMessage) => boolean)

/**
 * Which Cache-Control request directives (RFC 9111 5.2.1) clients may use on a route. Each is
 * off by default: the cache ignores them, as nginx, Varnish and most CDNs do, so no client can
 * make it ask the origin (a browser's hard reload sends `no-cache`).
 */
export interface RequestDirectiveOptions {
  /**
   * `only-if-cached`: answered from a stored response the other directives accept, else `504`;
   * never the origin. Adds no origin load. @default false
   */
  onlyIfCached?: DirectivePermission
  /**
   * `max-stale[=N]`: a stale stored response (at most N seconds past its lifetime) answers
   * instead of the origin, while the entry's stale windows keep it (`staleWhileRevalidate`,
   * `staleIfError`); never one whose own directives forbid it (`must-revalidate`,
   * `proxy-revalidate`, `s-maxage`, `no-cache`), in either mode, nor to a credentialed request.
   * Adds no origin load. @default false
   */
  maxStale?: DirectivePermission
  /**
   * `no-store`: nothing of the exchange is stored. A stored response still answers (RFC 9111
   * 5.2.1.5 forbids storing, not serving), as a request without the directive would get it
   * (fresh, or stale within `staleWhileRevalidate`); otherwise the request goes to the origin
   * alone and its response is not stored. Adds origin load on a miss: such requests are not
   * collapsed (one that led would store its response). @default false
   */
  noStore?: DirectivePermission
  /**
   * `no-cache`, `max-age=N`, `min-fresh=N`: a stored response too old for the client is not
   * used (`Pragma: no-cache` is not read: RFC 9111 deprecates it): the request goes to the
   * origin itself (or, when shared mode kept a validator, a conditional subrequest does), once
   * for the requests that ask together, and the response replaces the entry, which everyone
   * else keeps getting meanwhile and after a failure. This lets the client add origin load:
   * allow it only to clients you trust. @default false
   */
  revalidate?: DirectivePermission
}

/** Options of `cacheRoute`. */
export interface CacheRouteOptions {
  /**
   * Who decides what is stored and for how long.
   *
   * - `'default'`: the route author. Every response with a status in `statuses` is stored for
   *   `ttl` (or the origin's lifetime with `originTtl`); the origin's `no-store`, `private`,
   *   `no-cache`, `Set-Cookie` and `Vary: *` are still obeyed.
   * - `'shared'`: the origin, as for an RFC 9111 shared cache in front of it (a CDN, a reverse
   *   proxy). A response is stored only with a lifetime of its own: `s-maxage`, then `max-age`,
   *   then `Expires` (less its `Age` and the time the exchange took, section 4.2.3), or, for a
   *   heuristically cacheable status (200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501) or
   *   a `public` response with `Last-Modified`, 10% of the time since it was modified, at most
   *   `ttl` (section 4.2.2). Any final status may be stored when its lifetime is explicit;
   *   `statuses` then defaults to every final status. Nothing stale on arrival is stored, and
   *   `must-revalidate`, `proxy-revalidate` or `s-maxage` responses are never served stale
   *   (`staleWhileRevalidate`/`staleIfError` skip them). Implies `originTtl`.
   *
   * Selecting header fields (`Vary`, `vary`) are compared as RFC 9111 4.1 allows: list
   * whitespace and `Accept-Language` range case do not count (order and parameters do). A stale
   * response with a validator is kept `ttl` longer and revalidated with a conditional request
   * (a 304 refreshes it); `no-cache` responses are kept only to be revalidated on every use.
   *
   * The rules of both modes never store a response to a credentialed request unless it is
   * explicitly shareable and fresh by its own headers (in `'shared'` mode, `must-revalidate`
   * counts as explicit for a request whose only credential is `Authorization`).
   * @default 'default'
   */
  mode?: RouteMode
  /**
   * How long a response stays fresh when the origin gives no lifetime (see `originTtl`); in
   * `'shared'` mode, the cap of a heuristic lifetime. @default the cache's `defaultTtl`
   */
  ttl?: Duration
  /**
   * How shared mode compares `Accept-Language` when a response varies on it.
   *
   * - `'express'`: as Express negotiates (`req.acceptsLanguages()`): list whitespace and range
   *   case do not count, the order of members does (Express breaks ties between equal weights
   *   by it: `en, de` and `de, en` pick different languages).
   * - `'rfc'`: by its RFC 9110 meaning (12.4.2, 12.5.4): the ranges and their weights, in any
   *   order (`en, de` and `de, en` share a variant); and the variant stored with the vary
   *   pointer (a 200 whose single `Content-Language` its request named) is served to a request
   *   that prefers that language over all others it names (`fr;q=0.5, de` gets the `de`
   *   response stored for `en, de`). For a route that
   *   proxies an origin or negotiates by weights alone, and whose responses depend on
   *   Accept-Language only through the language they name in `Content-Language`.
   *
   * Shared mode only. @default 'express'
   */
  acceptLanguage?: 'express' | 'rfc'
  /** Namespace of the route's entries. @default 'routes' */
  namespace?: string
  /**
   * Use the origin's `s-maxage`, `max-age` or `Expires` (RFC 9111 precedence) as the entry's
   * lifetime; `ttl` then applies only when the origin gives none. Implied by `mode: 'shared'`.
   * @default false
   */
  originTtl?: boolean
  /**
   * Replace the canonical key (method, host, path, sorted query) with your own. It never
   * counts as identifying the user: list the credential in `vary` for per-user entries.
   */
  key?: (req: IncomingMessage) => string
  /**
   * Request headers to add to the key, e.g. `['accept-language']`. Listing `'authorization'`
   * or `'cookie'` makes entries per credential value: requests carrying that credential then
   * share entries with those carrying the same value (and only the credential listed). A custom
   * `key` never counts as holding a credential. @default []
   */
  vary?: readonly string[]
  /**
   * Names of cookies that do not personalise the route's responses (analytics, consent, A/B
   * bucket...), as exact names or regular expressions, e.g. `['_ga', /^_utm/]`. A request whose
   * cookies all match is handled as an anonymous one; a request with any other cookie is
   * credentialed: it is never served from, nor stored into, a shared entry (unless the response
   * is explicitly `public`/`s-maxage` and fresh by its own headers). @default [] (every cookie
   * personalises)
   */
  ignoreCookies?: readonly (string | RegExp)[]
  /** Serve a stale response this long after `ttl` while one request refreshes it in the background. @default 0 */
  staleWhileRevalidate?: Duration
  /** Serve a stale response this long after `ttl` when the origin throws, times out or answers 5xx. @default 0 */
  staleIfError?: Duration
  /** With a stale response at hand, serve it when the origin takes longer than this. @default 0 (off) */
  timeout?: Duration
  /**
   * Statuses that may be stored. @default 2xx except 206, plus 301 and 308; in `'shared'`
   * mode every final status except 206 and 304
   */
  statuses?: readonly number[]
  /** Largest body stored, in bytes; larger responses pass through unstored. @default 1048576 (1 MB) */
  maxBodySize?: number
  /** Return true to not store this response (it is still sent). */
  unless?: (req: IncomingMessage, res: ServerResponse) => boolean
  /** Tags for every entry of the route (added to `Cache-Tag` and `res.locals.cacheTags`). @default [] */
  tags?: readonly string[]
  /** After a successful POST, PUT, PATCH or DELETE to a path, drop its cached entries (RFC 9111 4.4). @default false */
  invalidateOnUnsafe?: boolean
  /** Let some requests skip the cache (for example an authenticated admin's debug header). @default never */
  bypass?: (req: IncomingMessage) => boolean
  /** Let some requests force a fresh origin response that replaces the entry. @default never */
  refresh?: (req: IncomingMessage) => boolean
  /**
   * Which Cache-Control request directives clients may use: `true` for all four, or each
   * one's {@link DirectivePermission}. Ignored by default, in both modes. @default false
   */
  requestDirectives?: boolean | RequestDirectiveOptions
  /**
   * After an unstorable response (Set-Cookie, private, ...), let other requests for the key go
   * straight to the origin for this long instead of queueing on the lock (hit-for-miss). @default '5s'
   */
  passTtl?: Duration
  /** Lock lifetime while the origin runs (extended while it runs). @default the cache's */
  lockTtl?: Duration
  /** Longest a request waits for another instance's origin response. @default the cache's */
  waitTimeout?: Duration
}

/** The route defaults, in one frozen place. */
export const ROUTE_DEFAULTS = Object.freeze({
  /** Default of the `mode` option. */
  mode: 'default',
  /** Default of the `namespace` option. */
  namespace: 'routes',
  /** Default of the `acceptLanguage` option. */
  acceptLanguage: 'express',
  /** Default of the `statuses` option: the statuses whose responses are stored. */
  statuses: Object.freeze([200, 201, 202, 203, 204, 205, 207, 208, 226, 301, 308]),
  /** Default of the `statuses` option in `'shared'` mode: every final status but 206 and 304. */
  sharedStatuses: Object.freeze(
    Array.from({ length: 400 }, (_, i) => 200 + i).filter((s) => s !== 206 && s !== 304),
  ),
  /** Default of the `maxBodySize` option (1 MiB). */
  maxBodySize: 1024 * 1024,
  /** Default of the `passTtl` option. */
  passTtl: '5s',
} as const)
