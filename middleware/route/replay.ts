import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { isNotModified, NOT_MODIFIED_HEADERS } from '../http/conditional.js'
import type { ResponseLabel } from './cache-status.js'
import { headerText, type StoredResponse } from './stored-response.js'
import { byteRange, ifRangeHolds, type RangeAnswer } from '../http/range.js'

/**
 * Send a stored response: exact status, headers and bytes, `Age` and the original `Date`, a
 * 304 when the request's validators match, a 206 (or 416) for one byte range of a stored 200,
 * no body for HEAD.
 */
export function replay(
  req: IncomingMessage,
  res: ServerResponse,
  stored: StoredResponse,
  label: ResponseLabel,
): void {
  // RFC 9111 5.1: the age it arrived with plus the time it has been stored here.
  const residentMs = Date.now() - stored.storedAt
  const age = Math.max(0, Math.floor(((stored.initialAgeMs ?? 0) + residentMs) / 1000))
  const notModified = isNotModified(req, stored)
  const headers: Record<string, string | readonly string[]> = notModified
    ? pick(stored.headers, NOT_MODIFIED_HEADERS)
    : { ...template(stored) }
  headers['age'] = String(age)
  headers['x-cache'] = label.xCache
  headers['cache-status'] = label.cacheStatus
  // What the handler removed of the headers set ahead of it stays removed for this request too.
  if (stored.removed !== undefined) for (const name of stored.removed) res.removeHeader(name)
  const range = notModified ? undefined : rangeOf(req, stored)
  if (range !== undefined) return sendRange(res, stored, headers, range)
  // One writeHead with every header: far cheaper than a setHeader call per header, and merged
  // by Node with headers earlier middleware set (CORS, ...).
  res.writeHead(notModified ? 304 : stored.status, headers as OutgoingHttpHeaders)
  if (notModified || req.method === 'HEAD') res.end()
  else res.end(stored.body)
}

/** The byte range a GET asks of a stored 200, when one applies. */
function rangeOf(req: IncomingMessage, stored: StoredResponse): RangeAnswer | undefined {
  const header = req.headers.range
  if (header === undefined || req.method !== 'GET' || stored.status !== 200) return undefined
  const etag = headerText(stored.headers['etag'])
  const lastModified = headerText(stored.headers['last-modified'])
  if (!ifRangeHolds(headerText(req.headers['if-range']), etag, lastModified)) return undefined
  return byteRange(header, stored.body.length)
}

/** 206 with the range, or 416 when the body has no such bytes (RFC 9110 15.3.7, 15.5.17). */
function sendRange(
  res: ServerResponse,
  stored: StoredResponse,
  headers: Record<string, string | readonly string[]>,
  range: RangeAnswer,
): void {
  const length = stored.body.length
  const out = { ...headers }
  if (range.kind === 'unsatisfiable') {
    out['content-range'] = `bytes */${length}`
    out['content-length'] = '0'
    res.writeHead(416, out as OutgoingHttpHeaders)
    res.end()
    return
  }
  out['content-range'] = `bytes ${range.start}-${range.end}/${length}`
  out['content-length'] = String(range.end - range.start + 1)
  res.writeHead(206, out as OutgoingHttpHeaders)
  res.end(stored.body.subarray(range.start, range.end + 1))
}

// The stored headers plus the three the cache sets, per stored response (hits of one entry share
// its object): a copy of it takes the new values in place, with no change of object shape.
const templates = new WeakMap<StoredResponse, Record<string, string | readonly string[]>>()

function template(stored: StoredResponse): Record<string, string | readonly string[]> {
  let headers = templates.get(stored)
  if (headers === undefined) {
    headers = { ...stored.headers, age: '', 'x-cache': '', 'cache-status': '' }
    templates.set(stored, headers)
  }
  return headers
}

function pick(
  headers: StoredResponse['headers'],
  names: readonly string[],
): Record<string, string | readonly string[]> {
  const out: Record<string, string | readonly string[]> = {}
  for (const name of names) {
    const value = headers[name]
    if (value !== undefined) out[name] = value
  }
  return out
}
