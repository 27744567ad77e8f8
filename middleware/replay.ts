import type { IncomingMessage, ServerResponse } from 'node:http'
import { isNotModified, NOT_MODIFIED_HEADERS } from './conditional.js'
import type { StoredResponse } from './stored-response.js'

/** How a replayed response is labelled. */
export interface ReplayLabel {
  readonly xCache: 'HIT' | 'STALE' | 'MISS' | 'BYPASS'
  /** The RFC 9211 Cache-Status value (without the cache key). */
  readonly cacheStatus: string
}

/**
 * Send a stored response: exact status, headers and bytes, `Age` and the original `Date`, a
 * 304 when the request's validators match, no body for HEAD.
 */
export function replay(
  req: IncomingMessage,
  res: ServerResponse,
  stored: StoredResponse,
  label: ReplayLabel,
): void {
  const age = Math.max(0, Math.floor((Date.now() - stored.storedAt) / 1000))
  const notModified = isNotModified(req, stored)
  const names = notModified ? NOT_MODIFIED_HEADERS : Object.keys(stored.headers)
  for (const name of names) {
    const value = stored.headers[name]
    if (value !== undefined) res.setHeader(name, value)
  }
  res.setHeader('age', String(age))
  res.setHeader('x-cache', label.xCache)
  res.setHeader('cache-status', label.cacheStatus)
  if (notModified) {
    res.statusCode = 304
    res.end()
    return
  }
  res.statusCode = stored.status
  if (req.method === 'HEAD') res.end()
  else res.end(stored.body)
}

/** Label a response the cache did not serve (bypass, miss). */
export function label(res: ServerResponse, xCache: 'MISS' | 'BYPASS', cacheStatus: string): void {
  if (res.headersSent) return
  res.setHeader('x-cache', xCache)
  res.setHeader('cache-status', cacheStatus)
}

/** Remaining freshness in whole seconds, negative once stale (RFC 9211 `ttl`). */
export function ttlSeconds(freshUntil: number): number {
  return Math.floor((freshUntil - Date.now()) / 1000)
}
