import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  InvalidOptionError,
  parseDuration,
  type Cache,
  type Duration,
  type HealthReport,
} from '../../src/core.js'
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js'
import { prefersHtml, renderStatusPage, STATUS_PAGE_CSP, type StatusDocument } from './page.js'

/** Options of `statusRouter`. */
export interface StatusRouterOptions {
  /**
   * Decides whether a request may read the status document, the page and the metrics (every
   * route but `/health`, which load balancers must reach). Return false (or a promise of false)
   * to answer 403; a throw or rejection is passed to `next`.
   * @default every request is allowed
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>
  /**
   * How often the HTML page reloads itself (rounded to whole seconds, at least 1).
   * @default '10s'
   */
  refresh?: Duration
}

/** The defaults of `statusRouter`, in one frozen place. */
export const STATUS_ROUTER_DEFAULTS = Object.freeze({
  /** Default of the `refresh` option. */
  refresh: '10s',
} as const)

/**
 * A `(req, res, next)` handler, so Express 4 and 5 (and plain `node:http`) accept it as is.
 * `next` is called for paths it does not serve and with errors; without `next` those get a
 * 404 or 500.
 */
export type StatusHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>

/**
 * The cache's status endpoints, to mount with `app.use('/cache/status', statusRouter(cache))`:
 *
 * - `GET /` — JSON `{ status: 'ok' | 'degraded' | 'down', health, stats }`; with
 *   `Accept: text/html` (a browser), a small self-refreshing page with the same figures;
 * - `GET /health` — 200 when the store answers, 503 when it does not, with the reasons;
 * - `GET /metrics` — Prometheus text exposition (counters, gauges, histograms by namespace).
 *
 * Health probes are cached for the cache's `health.interval`, so a busy endpoint cannot load
 * Redis. No response carries cache keys, values, connection URLs or versions.
 *
 * @example
 * app.use('/cache/status', statusRouter(cache, { authorize: (req) => isAdmin(req) }))
 */
export function statusRouter(
  cache: Pick<Cache, 'stats' | 'health'>,
  options: StatusRouterOptions = {},
): StatusHandler {
  const { authorize, refreshSeconds } = resolveOptions(cache, options)
  const routes: Record<string, Route> = {
    '/': (req, res) => statusRoute(cache, req, res, refreshSeconds),
    '/metrics': async (_req, res) => {
      const body = renderPrometheus(cache.stats(), await cache.health())
      send(res, 200, PROMETHEUS_CONTENT_TYPE, body)
    },
  }
  return (req, res, next) => {
    const path = routePath(req.url)
    const route = routes[path]
    if (path !== '/health' && route === undefined) return notFound(res, next)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD')
      return send(res, 405, 'application/json', json({ error: 'method not allowed' }))
    }
    const work = route === undefined ? healthRoute(cache, res) : guarded(authorize, route)(req, res)
    work.catch((error: unknown) => fail(res, error, next))
  }
}

function guarded(authorize: StatusRouterOptions['authorize'], route: Route): Route {
  if (authorize === undefined) return route
  return async (req, res) => {
    if (await authorize(req)) return route(req, res)
    send(res, 403, 'application/json', json({ error: 'forbidden' }))
  }
}

async function statusRoute(
  cache: Pick<Cache, 'stats' | 'health'>,
  req: IncomingMessage,
  res: ServerResponse,
  refreshSeconds: number,
): Promise<void> {
  const health = await cache.health()
  const doc: StatusDocument = { status: health.status, health, stats: cache.stats() }
  // One URL, two representations: caches in between must key on Accept.
  res.setHeader('Vary', 'Accept')
  if (prefersHtml(req.headers.accept)) {
    res.setHeader('Content-Security-Policy', STATUS_PAGE_CSP)
    return send(res, 200, 'text/html; charset=utf-8', renderStatusPage(doc, refreshSeconds))
  }
  send(res, 200, 'application/json; charset=utf-8', json(doc))
}

async function healthRoute(
  cache: Pick<Cache, 'stats' | 'health'>,
  res: ServerResponse,
): Promise<void> {
  const health: HealthReport = await cache.health()
  const { status, checkedAt, problems } = health
  // Unauthenticated: the verdict and its reasons, never error details (they may name hosts).
  const body = json({ status, checkedAt, problems })
  send(res, status === 'down' ? 503 : 200, 'application/json; charset=utf-8', body)
}

/** The path relative to the mount point (Express strips the mount path from req.url). */
function routePath(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0] ?? '/'
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
  return trimmed === '' ? '/' : trimmed
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status
  res.setHeader('Content-Type', type)
  res.setHeader('Content-Length', Buffer.byteLength(body))
  // Live figures: never cached, never sniffed as something else, no framework banner.
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.removeHeader('X-Powered-By')
  res.end(body)
}

function json(value: unknown): string {
  return JSON.stringify(value)
}

function notFound(res: ServerResponse, next: ((error?: unknown) => void) | undefined): void {
  if (next !== undefined) return next()
  send(res, 404, 'application/json', json({ error: 'not found' }))
}

function fail(res: ServerResponse, error: unknown, next: ((e?: unknown) => void) | undefined) {
  if (next !== undefined) return next(error)
  if (res.headersSent) return void res.destroy()
  send(res, 500, 'application/json', json({ error: 'internal error' }))
}

function resolveOptions(
  cache: Pick<Cache, 'stats' | 'health'>,
  options: StatusRouterOptions,
): { authorize: StatusRouterOptions['authorize']; refreshSeconds: number } {
  if (typeof cache?.stats !== 'function' || typeof cache?.health !== 'function') {
    throw new InvalidOptionError('cache', 'must be a cache made by createCache()')
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'must be an object')
  }
  const { authorize } = options
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new InvalidOptionError('authorize', 'must be a function (req) => boolean')
  }
  const refreshMs = parseDuration(options.refresh ?? STATUS_ROUTER_DEFAULTS.refresh, 'refresh')
  return { authorize, refreshSeconds: Math.max(1, Math.round(refreshMs / 1_000)) }
}
