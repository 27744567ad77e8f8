import type { IncomingMessage } from 'node:http'

/**
 * The canonical key of a request: method (HEAD shares GET), protocol and host (as Express reads
 * them, so with `trust proxy` on the forwarded ones count), raw path, the query parsed and
 * sorted by name (repeated names keep their order), and the values of the request headers the
 * entry varies on. Parts are JSON-encoded as one array, so no crafted delimiter in a path, a
 * query or a header can make two different requests share a key.
 */

/** The request fields the route cache reads (Express's request has them all). */
export interface RouteRequest extends IncomingMessage {
  /** Express: the application, whose settings say whether proxies are trusted. */
  app?: { readonly settings?: Readonly<Record<string, unknown>> }
  originalUrl?: string
  /** Express: host, honouring `trust proxy`. */
  hostname?: string
  /** Express: http or https, honouring `trust proxy`. */
  protocol?: string
}

/** The URL parts of a request that the key is made of. */
export interface UrlParts {
  readonly protocol: string
  readonly host: string
  readonly path: string
  /** The raw query string, without `?`. */
  readonly search: string
}

/** Split a request's URL into its canonical parts. */
export function urlParts(req: RouteRequest): UrlParts {
  const raw = req.originalUrl ?? req.url ?? '/'
  const mark = raw.indexOf('?')
  const path = mark < 0 ? raw : raw.slice(0, mark)
  const search = mark < 0 ? '' : raw.slice(mark + 1)
  const trusted = trustsProxies(req)
  return { protocol: protocolOf(req, trusted), host: hostOf(req, trusted), path, search }
}

/** The query parsed and sorted by name; repeated names keep their relative order. */
export function sortedQuery(search: string): [string, string][] {
  const query = search === '' ? [] : [...new URLSearchParams(search)]
  // Array.prototype.sort is stable.
  query.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return query
}

// Hot URLs are keyed again and again: remember recent keys (bounded). The memo key joins the
// raw parts with NUL, which neither URLs, hosts nor header values can contain.
const memo = new Map<string, string>()
const MEMO_LIMIT = 10_000

/** The key of a request for a given set of vary headers (names in lower case, sorted). */
export function routeKey(parts: UrlParts, req: IncomingMessage, vary: readonly string[]): string {
  let id = `${parts.protocol}\0${parts.host}\0${parts.path}\0${parts.search}`
  let values = NONE
  // Most routes vary on nothing: no header values to read, no arrays to build.
  if (vary.length > 0) {
    values = vary.map((name) => normalizeHeader(name, req.headers[name]))
    id += `\0${vary.join(',')}\0${values.join('\0')}`
  }
  let key = memo.get(id)
  if (key === undefined) {
    const varied = vary.map((name, i) => [name, values[i]])
    key = JSON.stringify([
      'GET',
      parts.protocol,
      parts.host,
      parts.path,
      sortedQuery(parts.search),
      varied,
    ])
    if (memo.size >= MEMO_LIMIT) memo.clear()
    memo.set(id, key)
  }
  return key
}

const NONE: readonly string[] = []

/** The key of the URL alone (for tags and invalidation by path). */
export function pathTag(namespace: string, path: string): string {
  return `path:${namespace}:${path}`
}

/**
 * Request header values as a cache compares them (RFC 9111 4.1: whitespace and ordering
 * normalised). Accept-Encoding collapses to the codings that change a stored body, so browsers
 * with different lists share variants.
 */
export function normalizeHeader(name: string, value: string | string[] | undefined): string {
  if (value === undefined) return ''
  const text = (Array.isArray(value) ? value.join(',') : value).replace(/\s+/g, ' ').trim()
  if (name !== 'accept-encoding') return text
  const accepted = acceptedCodings(text)
  const codings = ['br', 'gzip', 'deflate'].filter((coding) => accepted.has(coding))
  return codings.length === 0 ? 'identity' : codings.join(',')
}

function acceptedCodings(header: string): Set<string> {
  const accepted = new Set<string>()
  for (const item of header.toLowerCase().split(',')) {
    const [coding = '', ...params] = item.split(';').map((part) => part.trim())
    const q = params.find((param) => param.startsWith('q='))
    if (q !== undefined && Number(q.slice(2)) === 0) continue
    accepted.add(coding === 'x-gzip' ? 'gzip' : coding)
  }
  if (accepted.has('*')) for (const coding of ['br', 'gzip', 'deflate']) accepted.add(coding)
  return accepted
}

/**
 * The host as Express's `req.hostname` reads it. Without trusted proxies that is the Host
 * header without its port, read here directly (Express's getters cost more than the whole key
 * on a cache hit); with them, the getter decides.
 */
function hostOf(req: RouteRequest, trusted: boolean): string {
  const host = trusted && req.hostname !== undefined ? req.hostname : hostname(req.headers.host)
  return (host ?? '').toLowerCase()
}

/** The Host header without its port (an IPv6 literal keeps its brackets). */
function hostname(host: string | undefined): string | undefined {
  if (host === undefined || host === '') return undefined
  const offset = host.startsWith('[') ? host.indexOf(']') + 1 : 0
  const colon = host.indexOf(':', offset)
  return colon < 0 ? host : host.slice(0, colon)
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
