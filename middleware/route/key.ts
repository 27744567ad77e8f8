import { createHash } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { selectingValue } from '../http/selecting.js'

/**
 * The key of a request holds exactly what the handler can observe of it, byte for byte, so two
 * requests share a key only when the handler cannot tell them apart:
 *
 * - the method class (HEAD shares GET: it is answered from the GET entry);
 * - the protocol (with `trust proxy`, the one Express reads);
 * - the Host header exactly as received (case and port kept), or none; with `trust proxy`, the
 *   raw `X-Forwarded-Host` too. A Host that is not `host[:port]` is never cached at all;
 * - the raw request target (`req.originalUrl`): no decoding, no re-encoding, no sorting, so
 *   `?a=1&b=2` and `?b=2&a=1`, `%7E` and `~`, `#` and `%23` are different entries;
 * - for each varied request header, a SHA-256 of its exact value (absent and empty differ), so
 *   no credential reaches a Redis key name.
 *
 * Parts are JSON-encoded as one array: no crafted delimiter in any part can shift the others.
 */

/** The request fields the route cache reads (Express's request has them all). */
export interface RouteRequest extends IncomingMessage {
  /** Express: the application, whose settings say whether proxies are trusted. */
  app?: { readonly settings?: Readonly<Record<string, unknown>> }
  originalUrl?: string
  /** Express: http or https, honouring `trust proxy`. */
  protocol?: string
}

/** The parts of a request that its key is made of. */
export interface UrlParts {
  readonly protocol: string
  /** The Host header exactly as received; '' when the request has none. */
  readonly host: string
  /** The raw X-Forwarded-Host when proxies are trusted and one was sent, else ''. */
  readonly forwardedHost: string
  /** The raw request target (Express's `originalUrl`): the path, `?` and query, as sent. */
  readonly target: string
  /** The path of the target without its query (absolute-form targets lose scheme and host). */
  readonly path: string
  /** False when Host (or a trusted X-Forwarded-Host) is not `host[:port]`: never cached. */
  readonly hostValid: boolean
}

/** Read the parts of a request that its key is made of. */
export function urlParts(req: RouteRequest): UrlParts {
  const target = req.originalUrl ?? req.url ?? '/'
  const trusted = trustsProxies(req)
  const host = req.headers.host ?? ''
  const forwarded = trusted ? req.headers['x-forwarded-host'] : undefined
  const forwardedHost = typeof forwarded === 'string' ? forwarded : ''
  return {
    protocol: protocolOf(req, trusted),
    host,
    forwardedHost,
    target,
    path: targetPath(target),
    hostValid: isHost(host) && (forwardedHost === '' || forwardedHost.split(',').every(isHostItem)),
  }
}

/**
 * `host[:port]` (RFC 9110 7.2): a registered name of unreserved characters, an IPv4 address or
 * a bracketed IPv6 literal, and an optional port of at most 5 digits; no userinfo, path or
 * second colon. An absent Host ('' here) is allowed: HTTP/1.0 requests may omit it.
 */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::[0-9]{1,5})?$/

function isHost(host: string): boolean {
  return host === '' || HOST.test(host)
}

function isHostItem(item: string): boolean {
  return HOST.test(item.trim())
}

/**
 * The path of a request target, for path tags: the part before `?` (and `#`), with the scheme
 * and authority of an absolute-form target (`GET http://host/path`) removed, since Express
 * routes that request as `/path`.
 */
export function targetPath(target: string): string {
  let path = target
  const end = path.search(/[?#]/)
  if (end >= 0) path = path.slice(0, end)
  if (path.startsWith('/')) return path
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/.exec(path)
  if (scheme === null) return path
  const rest = path.slice(scheme[0].length)
  return rest === '' ? '/' : rest
}

/**
 * Hot URLs are keyed again and again: remember recent keys, bounded in bytes (UTF-16 size of
 * both strings plus a per-entry allowance). Long requests are not remembered at all: their
 * key costs little next to the request, and they would crowd out the hot ones. The memo key
 * joins the raw parts with NUL, which neither request targets, hosts nor header values contain.
 */
const memo = new Map<string, string>()
/** Total bytes the route-key memo may hold. */
export const MEMO_MAX_BYTES = 4 * 1024 * 1024
/** Requests whose memo id is longer than this (in characters) are never remembered. */
const MEMO_MAX_ID_LENGTH = 2_048
const MEMO_ENTRY_OVERHEAD = 96
let memoBytes = 0

/** What the route-key memo holds now (for tests of its bound). */
export function routeKeyMemoSize(): { entries: number; bytes: number } {
  return { entries: memo.size, bytes: memoBytes }
}

/** Varied values compared exactly, as a shared cache may (RFC 9111 4.1), or so with 'rfc' Accept-Language. */
export type Selecting = boolean | 'rfc'

/** The key of a request for a set of vary headers (lower case, sorted), compared per `selecting`. */
export function routeKey(
  parts: UrlParts,
  req: IncomingMessage,
  vary: readonly string[],
  selecting: Selecting = false,
): string {
  // A leading \u0002 or \u0003 (no protocol starts so) marks the shared-mode comparisons.
  let id = `${selecting === false ? '' : selecting === true ? '\u0002' : '\u0003'}${parts.protocol}\0${parts.host}\0${parts.forwardedHost}\0${parts.target}`
  // Most routes vary on nothing: no header values to read, no arrays to build.
  if (vary.length > 0) {
    id += `\0${vary.join(',')}`
    for (const name of vary) id += `\0${rawHeader(req.headers[name]) ?? '\u0001'}`
  }
  let key = memo.get(id)
  if (key === undefined) {
    key = buildKey(parts, req, vary, selecting)
    remember(id, key)
  }
  return key
}

function buildKey(
  parts: UrlParts,
  req: IncomingMessage,
  vary: readonly string[],
  selecting: Selecting,
): string {
  const varied = vary.map((name) => [name, headerDigest(name, req.headers[name], selecting)])
  return JSON.stringify([
    'GET',
    parts.protocol,
    parts.host,
    parts.forwardedHost,
    parts.target,
    varied,
  ])
}

function remember(id: string, key: string): void {
  if (id.length > MEMO_MAX_ID_LENGTH) return
  const bytes = (id.length + key.length) * 2 + MEMO_ENTRY_OVERHEAD
  if (memoBytes + bytes > MEMO_MAX_BYTES) {
    memo.clear()
    memoBytes = 0
  }
  memo.set(id, key)
  memoBytes += bytes
}

/** A header's value as the handler reads it; undefined when the request has none. */
function rawHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value
}

/**
 * What the key holds of a varied header: null when absent, else a SHA-256 (base64url) of its
 * value as the cache compares it, so tokens and cookies never appear in key names.
 */
function headerDigest(
  name: string,
  value: string | string[] | undefined,
  selecting: Selecting,
): string | null {
  const raw = rawHeader(value)
  if (raw === undefined) return null
  const compared = normalizeHeader(name, raw, selecting)
  return createHash('sha256').update(compared).digest('base64url')
}

/** The path tag of a URL path (for tags and invalidation by path). */
export function pathTag(namespace: string, path: string): string {
  const tag = `path:${namespace}:${path}`
  if (tag.length <= MAX_PLAIN_TAG) return tag
  // Tags are limited in length by the core (256): long paths are tagged by their digest.
  // The 'path#:' prefix keeps digests apart from any literal path.
  return `path#:${namespace}:${createHash('sha256').update(path).digest('base64url')}`
}

const MAX_PLAIN_TAG = 200

/**
 * Request header values as a cache compares them. Values are kept exactly (a handler can read
 * every byte), except Accept-Encoding, which collapses to the codings that change a stored body
 * (compression picks the body from them alone), so browsers with different lists share variants;
 * with `selecting` (shared mode), the others as RFC 9111 4.1 allows (`selectingValue`).
 */
export function normalizeHeader(
  name: string,
  value: string | string[] | undefined,
  selecting: Selecting = false,
): string {
  if (value === undefined) return ''
  const text = Array.isArray(value) ? value.join(',') : value
  if (name !== 'accept-encoding') {
    return selecting === false ? text : selectingValue(name, text, selecting === 'rfc')
  }
  const accepted = acceptedCodings(text)
  const codings = ['br', 'gzip', 'deflate'].filter((coding) => accepted.has(coding))
  return codings.length === 0 ? 'identity' : codings.join(',')
}

function acceptedCodings(header: string): Set<string> {
  const accepted = new Set<string>()
  // A coding named explicitly is decided by its own q, whatever "*" says (RFC 9110 12.5.3):
  // "gzip;q=0, *" refuses gzip.
  const named = new Set<string>()
  for (const item of header.toLowerCase().split(',')) {
    const [name = '', ...params] = item.split(';').map((part) => part.trim())
    const coding = name === 'x-gzip' ? 'gzip' : name
    named.add(coding)
    const q = params.find((param) => param.startsWith('q='))
    if (q !== undefined && Number(q.slice(2)) === 0) continue
    accepted.add(coding)
  }
  if (accepted.has('*')) {
    for (const coding of ['br', 'gzip', 'deflate']) if (!named.has(coding)) accepted.add(coding)
  }
  return accepted
}

function protocolOf(req: RouteRequest, trusted: boolean): string {
  if (trusted && req.protocol !== undefined) return req.protocol
  return (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true ? 'https' : 'http'
}

/**
 * Whether forwarded headers may change the host or protocol: true unless the request is
 * Express's and its app's `trust proxy` setting is off (false, its default; sub-apps inherit
 * it through their settings' prototype). Outside Express, getters, when present, decide.
 */
function trustsProxies(req: RouteRequest): boolean {
  const settings = req.app?.settings
  return settings === undefined || settings['trust proxy'] !== false
}
