import type { IncomingMessage } from 'node:http'
import { headerText, type StoredResponse } from '../route/stored-response.js'
import { parseHttpDate } from './http-date.js'

/**
 * Whether a conditional GET/HEAD can be answered with 304 from a stored response (RFC 9110
 * 13.1 and 13.2.2): If-None-Match takes precedence and uses the weak comparison, with lists and
 * `*`; otherwise If-Modified-Since against Last-Modified (or the stored Date).
 */
export function isNotModified(req: IncomingMessage, stored: StoredResponse): boolean {
  if (stored.status !== 200) return false
  const headers = req.headers
  const ifNoneMatch = headers['if-none-match']
  if (ifNoneMatch !== undefined)
    return noneMatchFails(ifNoneMatch, headerText(stored.headers['etag']))
  const ifModifiedSince = headers['if-modified-since']
  if (ifModifiedSince === undefined) return false
  // RFC 9110 13.1.3: a value that is not a valid HTTP-date is ignored.
  const since = parseHttpDate(ifModifiedSince)
  if (since === undefined) return false
  const lastModified = parseHttpDate(headerText(stored.headers['last-modified']))
  const reference = lastModified ?? stored.storedAt
  // HTTP dates have one-second precision.
  return Math.floor(reference / 1000) <= Math.floor(since / 1000)
}

function noneMatchFails(header: string, etag: string | undefined): boolean {
  if (header.trim() === '*') return true
  if (etag === undefined) return false
  const opaque = weak(etag)
  return parseTags(header).some((tag) => weak(tag) === opaque)
}

/** Entity tags of an If-None-Match list (commas inside quotes belong to the tag). */
function parseTags(header: string): string[] {
  return header.match(/(?:W\/)?"[^"]*"/g) ?? []
}

function weak(tag: string): string {
  return tag.trim().replace(/^W\//, '')
}

/** Headers a 304 must carry when the 200 would have them (RFC 9110 15.4.5). */
export const NOT_MODIFIED_HEADERS = [
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'vary',
  'last-modified',
]
