import { createHash } from 'node:crypto'
import type { CapturedResponse } from './capture.js'
import { parseHttpDate } from '../http/http-date.js'

/**
 * What the route cache stores under a key: a response (status, end-to-end headers, exact body
 * bytes), or, when responses vary on request headers the key does not contain, a pointer that
 * names those headers (the variants live under keys that include their values).
 */
export interface StoredResponse {
  readonly kind: 'response'
  /** Whether this response was stored (an unstorable one is only ever replayed to nobody). */
  readonly stored: boolean
  readonly status: number
  readonly headers: Readonly<Record<string, string | readonly string[]>>
  /**
   * Headers the handler removed that middleware ahead of the cache had set (helmet's
   * X-Frame-Options on an embeddable page): a hit removes them too. Absent when none.
   */
  readonly removed?: readonly string[]
  readonly body: Buffer
  /** When it was stored (epoch ms): the base of the time it has been resident. */
  readonly storedAt: number
  /**
   * How old it already was then (ms, RFC 9111 4.2.3: the origin's `Age`, the exchange's time,
   * the origin's `Date`); `Age` on a hit is this plus the resident time. Absent in entries
   * written before it existed: 0.
   */
  readonly initialAgeMs?: number
  /**
   * Not stored, but kept to be revalidated (`no-cache`, shared mode): a request that waited for
   * it revalidates it rather than asking the origin unconditionally.
   */
  readonly kept?: true
  /**
   * Not stored, yet the origin just confirmed it (a 304 to a revalidation) although it is stale
   * again at once: it answers the requests that waited for it (RFC 9111 4.3.3), no others.
   */
  readonly validated?: true
}

/** Points to the variants of a response that varies on request headers. */
export interface VaryPointer {
  readonly kind: 'vary'
  readonly stored: true
  /** Request header names (lower case, sorted) the variants are keyed on. */
  readonly names: readonly string[]
  /**
   * `acceptLanguage: 'rfc'`: the variant written with this pointer, under its language
   * (language-index.ts). Absent otherwise.
   */
  readonly languages?: Readonly<Record<string, string>>
}

/** The value cached for a route key. */
export type RouteValue = StoredResponse | VaryPointer

/**
 * Turn a captured response into the stored form, adding a strong ETag when it has none.
 * `initialAgeMs`: its corrected initial age (0 when it was produced just now).
 */
export function toStored(
  captured: CapturedResponse,
  stored: boolean,
  now: number,
  initialAgeMs = 0,
): StoredResponse {
  const headers = { ...captured.headers }
  // Fixed once, here: every replay sends the origin's Date (with Age) and the body's length. An
  // origin's valid Date is its own (RFC 9110 6.6.1); a handler's response gets the time now.
  if (parseHttpDate(headerText(headers['date']), now) === undefined) {
    headers['date'] = new Date(now).toUTCString()
  }
  if (captured.status !== 204 && captured.status !== 304) {
    headers['content-length'] = String(captured.body.length)
  }
  if (stored && headers['etag'] === undefined && captured.status === 200) {
    // Strong validator from the exact bytes, so 304s work for handlers that set none (streams).
    headers['etag'] = `"${createHash('sha1').update(captured.body).digest('base64url')}"`
  }
  return {
    kind: 'response',
    stored,
    status: captured.status,
    headers,
    ...(captured.removed.length === 0 ? {} : { removed: captured.removed }),
    body: captured.body,
    storedAt: now,
    ...(initialAgeMs > 0 ? { initialAgeMs } : {}),
  }
}

/** Whether a cached value is a usable response or pointer (anything else is ignored). */
export function isRouteValue(value: unknown): value is RouteValue {
  if (typeof value !== 'object' || value === null) return false
  const kind = (value as { kind?: unknown }).kind
  if (kind === 'vary') return Array.isArray((value as VaryPointer).names)
  return kind === 'response' && Buffer.isBuffer((value as StoredResponse).body)
}

/** One header as a single string. */
export function headerText(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.join(', ')
}
