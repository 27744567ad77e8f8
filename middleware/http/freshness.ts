import { seconds, type Directives } from './cache-control.js'
import { parseHttpDate } from './http-date.js'

/**
 * Freshness of a response (RFC 9111 section 4.2): its lifetime, explicit or heuristic, and its
 * age when it reached the cache. Times are epoch milliseconds, lifetimes and ages milliseconds.
 */

type Headers = Readonly<Record<string, string | readonly string[]>>

/** Statuses whose responses may be given a heuristic lifetime (RFC 9110 15.1). */
export const HEURISTIC_STATUSES: ReadonlySet<number> = new Set([
  200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501,
])

/**
 * Statuses whose semantics herdlock understands for `must-understand` (RFC 9111 5.2.2.3): the
 * final statuses RFC 9110 defines.
 */
export const UNDERSTOOD_STATUSES: ReadonlySet<number> = new Set([
  200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403,
  404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 500, 501,
  502, 503, 504, 505,
])

/** Share of the time since Last-Modified a heuristic lifetime is (RFC 9111 4.2.2 suggests 10%). */
export const HEURISTIC_FRACTION = 0.1

/** When the cache asked the origin and when the origin's answer arrived (section 4.2.3). */
export interface ExchangeTimes {
  readonly requestTime: number
  readonly responseTime: number
}

/**
 * The explicit lifetime (section 4.2.1): `s-maxage` (a shared cache only), then `max-age`, then
 * `Expires` - `Date`; undefined when the response gives none. An invalid `Expires` ("0") means
 * already expired (5.3); an invalid `Date` is replaced by the time the response arrived.
 */
export function explicitLifetime(
  cc: Directives,
  headers: Headers,
  shared: boolean,
  responseTime: number,
): number | undefined {
  const maxAge = (shared ? seconds(cc, 's-maxage') : undefined) ?? seconds(cc, 'max-age')
  if (maxAge !== undefined) return maxAge * 1000
  const expires = first(headers['expires'])
  if (expires === undefined) return undefined
  const expiresAt = parseHttpDate(expires, responseTime)
  if (expiresAt === undefined) return 0
  const date = parseHttpDate(first(headers['date']), responseTime) ?? responseTime
  return Math.max(0, expiresAt - date)
}

/**
 * A heuristic lifetime (section 4.2.2): a fraction of the time since `Last-Modified`, for a
 * heuristically cacheable status or a `public` response, capped at `capMs`; undefined when no
 * heuristic applies.
 */
export function heuristicLifetime(
  status: number,
  cc: Directives,
  headers: Headers,
  responseTime: number,
  capMs: number,
): number | undefined {
  if (!HEURISTIC_STATUSES.has(status) && !cc.has('public')) return undefined
  const lastModified = parseHttpDate(first(headers['last-modified']), responseTime)
  if (lastModified === undefined) return undefined
  const date = parseHttpDate(first(headers['date']), responseTime) ?? responseTime
  if (lastModified >= date) return undefined
  return Math.min(capMs, Math.floor((date - lastModified) * HEURISTIC_FRACTION))
}

/**
 * The `Age` a response arrived with, in seconds (section 5.1): one non-negative integer on one
 * field line, 0 when absent, and Infinity (stale) when invalid: a list, a sign, a fraction, a
 * parameter, two field lines.
 */
export function ageValue(header: string | readonly string[] | undefined): number {
  if (header === undefined) return 0
  if (typeof header !== 'string') return header.length === 1 ? ageValue(header[0]) : Infinity
  const text = header.trim()
  return /^\d+$/.test(text) ? Number(text) : Infinity
}

/**
 * The corrected initial age (section 4.2.3): the larger of the age the clocks show (`Date` to
 * arrival) and the `Age` received plus the time the exchange took.
 */
export function initialAge(headers: Headers, times: ExchangeTimes): number {
  const { requestTime, responseTime } = times
  const date = parseHttpDate(first(headers['date']), responseTime) ?? responseTime
  const apparent = Math.max(0, responseTime - date)
  const delay = Math.max(0, responseTime - requestTime)
  const corrected = ageValue(headers['age']) * 1000 + delay
  return Math.max(apparent, corrected)
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0]
}
