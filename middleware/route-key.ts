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
  readonly query: readonly (readonly [string, string])[]
}

/** Split a request's URL into its canonical parts. */
export function urlParts(req: RouteRequest): UrlParts {
  const raw = req.originalUrl ?? req.url ?? '/'
  const mark = raw.indexOf('?')
  const path = mark < 0 ? raw : raw.slice(0, mark)
  const search = mark < 0 ? '' : raw.slice(mark + 1)
  const query = search === '' ? [] : [...new URLSearchParams(search)]
  // Array.prototype.sort is stable: repeated names keep their relative order.
  query.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return { protocol: protocolOf(req), host: hostOf(req), path, query }
}

/** The key of a request for a given set of vary headers (names in lower case, sorted). */
export function routeKey(parts: UrlParts, req: IncomingMessage, vary: readonly string[]): string {
  const varied = vary.map((name) => [name, normalizeHeader(name, req.headers[name])])
  return JSON.stringify(['GET', parts.protocol, parts.host, parts.path, parts.query, varied])
}

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

function hostOf(req: RouteRequest): string {
  const host = req.hostname ?? req.headers.host ?? ''
  return host.toLowerCase().replace(/:(80|443)$/, '')
}

function protocolOf(req: RouteRequest): string {
  if (req.protocol !== undefined) return req.protocol
  return (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true ? 'https' : 'http'
}
