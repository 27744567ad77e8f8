import express, { type RequestHandler } from 'express'
import {
  Agent,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { cacheRoute, type Cache, type CacheRouteOptions } from '../../src/index.js'

/**
 * The cache under test: an Express 5 reverse proxy whose one route is `cacheRoute` in front of a
 * handler that forwards the request to the suite's origin. The handler streams: request body
 * piped up, status, end-to-end headers (every field line kept, duplicates included) and body
 * piped down, nothing buffered, nothing added. It only ever connects to the origin it is given.
 */

/** Hop-by-hop fields (RFC 9110 7.6.1): a proxy never forwards them. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** A running proxy. */
export interface Proxy {
  readonly url: string
  /** Errors of client responses (the exchange, what happened), e.g. a write after the end. */
  readonly errors: readonly string[]
  close(): Promise<void>
}

/** Start the proxy on a free loopback port, caching with `routeOptions`. */
export async function startProxy(
  cache: Cache,
  originUrl: string,
  routeOptions: CacheRouteOptions,
): Promise<Proxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 })
  const app = express()
  app.disable('x-powered-by')
  app.disable('etag')
  const errors: string[] = []
  app.use(
    cacheRoute(cache, routeOptions),
    forwardTo(originUrl, agent, (message) => errors.push(message)),
  )
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) =>
      error === undefined ? resolve(listening) : reject(error),
    )
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    errors,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
      agent.destroy()
    },
  }
}

/** The proxy handler: forward to `originUrl` and stream the answer back. */
export function forwardTo(
  originUrl: string,
  agent: Agent,
  onError: (message: string) => void,
): RequestHandler {
  const origin = new URL(originUrl)
  return (req, res) => {
    const upstream = request({
      host: origin.hostname,
      port: origin.port,
      method: req.method,
      // The raw target as the client sent it (the route cache keys on the same).
      path: req.originalUrl,
      // req.headers, not rawHeaders: the route cache rewrites them (a miss drops the client's
      // validators) and its background revalidations carry only this object.
      headers: endToEndRequestHeaders(req.headers),
      agent,
    })
    let reply: IncomingMessage | undefined
    upstream.on('response', (response) => {
      reply = response
      res.statusCode = response.statusCode ?? 502
      if (response.statusMessage !== undefined) res.statusMessage = response.statusMessage
      for (const [name, values] of endToEndResponseFields(response.rawHeaders)) {
        res.setHeader(name, values.length === 1 ? values[0]! : values)
      }
      response.pipe(res)
      response.once('error', () => res.destroy())
    })
    upstream.once('error', () => {
      // A complete response followed by junk (an origin sending more bytes than its
      // Content-Length): the response stands, as nginx keeps it; the connection is dropped.
      if (reply?.complete === true) return
      // The origin dropped the connection mid-response: so does the proxy.
      if (reply !== undefined || res.headersSent) return void res.destroy()
      // No response at all (the suite's "disconnect" tests, a refused connection).
      res.statusCode = 502
      res.setHeader('content-type', 'text/plain')
      res.end('bad gateway\n')
    })
    res.on('error', (error) => {
      // Reported, never thrown: one broken exchange must not end the run.
      onError(`${req.method} ${String(req.headers['test-id'])}: ${error.message}`)
    })
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy()
    })
    req.pipe(upstream)
  }
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '')
  return new Set(text.split(',').map((token) => token.trim().toLowerCase()))
}

function endToEndRequestHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const listed = connectionTokens(headers.connection)
  const out: IncomingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue
    out[name] = value
  }
  return out
}

/** Response fields from the raw lines: name as sent, every value kept in order. */
function endToEndResponseFields(raw: readonly string[]): Map<string, string[]> {
  const lines: [string, string][] = []
  for (let i = 0; i + 1 < raw.length; i += 2) lines.push([raw[i]!, raw[i + 1]!])
  const listed = connectionTokens(
    lines.filter(([name]) => name.toLowerCase() === 'connection').map(([, value]) => value),
  )
  const fields = new Map<string, string[]>()
  const names = new Map<string, string>()
  for (const [name, value] of lines) {
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower) || listed.has(lower)) continue
    const first = names.get(lower) ?? name
    names.set(lower, first)
    const values = fields.get(first) ?? []
    values.push(value)
    fields.set(first, values)
  }
  return fields
}
