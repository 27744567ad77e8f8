import type { ServerResponse } from 'node:http'
import { HERDLOCK_FIELD } from '../http/targeted.js'

/**
 * Which of a captured response's headers are kept: what a stored copy carries (not hop-by-hop,
 * not the cache's own, not what the request already had before the handler ran), what went on
 * the wire (what storability reads), and what the handler removed.
 */

/** Response headers by lower-case name; multi-valued ones as arrays. */
export type HeaderFields = Record<string, string | string[]>

/** Hop-by-hop headers (RFC 9110 7.6.1) and per-response ones the cache sets itself. */
export const NOT_STORED: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'age',
  'x-cache',
  'cache-status',
  HERDLOCK_FIELD,
])

/** What storability reads: all but hop-by-hop headers; the origin's `Age` counts (4.2.3). */
export const NOT_ON_WIRE: ReadonlySet<string> = new Set(
  [...NOT_STORED].filter((name) => name !== 'age'),
)

/** Header values as comparable text, to tell what the handler changed. */
export function fingerprint(res: ServerResponse): Map<string, string> {
  const seen = new Map<string, string>()
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (value !== undefined) seen.set(name, Array.isArray(value) ? value.join('\n') : String(value))
  }
  return seen
}

/** The response's headers but `skip`, less those `before` already had with the same value. */
export function readHeaders(
  res: ServerResponse,
  before: Map<string, string> | undefined,
  skip: ReadonlySet<string>,
): HeaderFields {
  const headers: HeaderFields = {}
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (value === undefined || skip.has(name)) continue
    const text = Array.isArray(value) ? value.map(String) : String(value)
    if (before?.get(name) === (Array.isArray(text) ? text.join('\n') : text)) continue
    headers[name] = text
  }
  return headers
}

/** Names `before` had that the response no longer has (hop-by-hop and the cache's own aside). */
export function removedHeaders(res: ServerResponse, before: Map<string, string>): string[] {
  const removed: string[] = []
  for (const name of before.keys()) {
    if (!NOT_STORED.has(name) && !res.hasHeader(name)) removed.push(name)
  }
  return removed
}
