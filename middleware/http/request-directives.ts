import { parseCacheControl, seconds } from './cache-control.js'

/**
 * Cache-Control request directives (RFC 9111 5.2.1) as a cache reads them, and whether a stored
 * response satisfies them. Which of them a client may use is the route's choice
 * (`requestDirectives`); this module only reads what was sent.
 */

/** What a request asks of the cache, in milliseconds; absent fields were not sent. */
export interface ClientDirectives {
  /** `no-cache`: no stored response without the origin. */
  readonly noCache: boolean
  /** `no-store`: nothing of this exchange is stored. */
  readonly noStore: boolean
  /** `only-if-cached`: a stored response or a 504, never the origin. */
  readonly onlyIfCached: boolean
  /** `max-age`: the oldest response the client takes. */
  readonly maxAgeMs?: number
  /** `min-fresh`: how long the response must stay fresh at least. */
  readonly minFreshMs?: number
  /** `max-stale`: how stale a response may be (Infinity when no value was given). */
  readonly maxStaleMs?: number
}

/**
 * The request field the directives come from. `Pragma` is not read: RFC 9111 5.4 deprecates it
 * (RFC 7234 had it mean `no-cache` without Cache-Control), and most shared caches reuse a fresh
 * response for `Pragma: no-cache`.
 */
export interface DirectiveHeaders {
  readonly 'cache-control'?: string | readonly string[] | undefined
}

/**
 * Read the request's directives; undefined when it sends none a cache acts on. A malformed
 * delta-seconds reads as 0 (`max-age=abc` asks for a response of age 0, `max-stale=x` accepts
 * no staleness), the stricter reading for the client.
 */
export function readClientDirectives(headers: DirectiveHeaders): ClientDirectives | undefined {
  const header = headers['cache-control']
  if (header === undefined) return undefined
  const directives = parseCacheControl(header)
  const maxStale = directives.get('max-stale')
  const maxAge = seconds(directives, 'max-age')
  const minFresh = seconds(directives, 'min-fresh')
  const read: ClientDirectives = {
    noCache: directives.has('no-cache'),
    noStore: directives.has('no-store'),
    onlyIfCached: directives.has('only-if-cached'),
    ...(maxAge === undefined ? {} : { maxAgeMs: maxAge * 1000 }),
    ...(minFresh === undefined ? {} : { minFreshMs: minFresh * 1000 }),
    ...(maxStale === undefined
      ? {}
      : {
          maxStaleMs: maxStale === true ? Infinity : (seconds(directives, 'max-stale') ?? 0) * 1000,
        }),
  }
  return asksAnything(read) ? read : undefined
}

/** Whether the directives ask for a response fresher than the cache would otherwise serve. */
export function asksFresher(directives: ClientDirectives): boolean {
  return (
    directives.noCache || directives.maxAgeMs !== undefined || directives.minFreshMs !== undefined
  )
}

/** When a stored response was made and how long it is fresh (epoch ms). */
export interface StoredTimes {
  /** When it was stored. */
  readonly storedAt: number
  /** How old it already was then. */
  readonly initialAgeMs: number
  /** When its freshness ends. */
  readonly freshUntil: number
}

/**
 * Whether a stored response may answer a request with these directives at `now`: not with
 * `no-cache`; not older than `max-age`; fresh for `min-fresh` more; stale only by at most
 * `max-stale`. Whether it may be served stale at all (`must-revalidate`...) is the entry's own
 * stale window, checked by whoever read it.
 */
export function satisfies(directives: ClientDirectives, times: StoredTimes, now: number): boolean {
  if (directives.noCache) return false
  const age = times.initialAgeMs + Math.max(0, now - times.storedAt)
  if (directives.maxAgeMs !== undefined && age > directives.maxAgeMs) return false
  const freshFor = times.freshUntil - now
  if (directives.minFreshMs !== undefined && freshFor < directives.minFreshMs) return false
  if (freshFor > 0) return true
  return directives.maxStaleMs !== undefined && -freshFor <= directives.maxStaleMs
}

/** Whether the directives ask the cache anything at all. */
export function asksAnything(read: ClientDirectives): boolean {
  return read.noStore || read.onlyIfCached || read.maxStaleMs !== undefined || asksFresher(read)
}
