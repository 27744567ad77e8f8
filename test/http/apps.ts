import express from 'express'
import express4 from 'express4'
import type { Express, NextFunction, Request, Response } from 'express'

/**
 * supertest listens on a new port for every request, so each one carries another
 * `Host: 127.0.0.1:<port>`, and the route key holds the Host exactly as sent. The test apps
 * stand behind one stable address, as a real server does: that one Host loses its port before
 * any route sees it. Every other Host (the ones tests set on purpose) is left as sent.
 */
function stableTestHost(req: Request, _res: Response, next: NextFunction): void {
  const host = req.headers.host
  if (host !== undefined && /^127\.0\.0\.1:\d+$/.test(host)) req.headers.host = '127.0.0.1'
  next()
}

function withStableHost(app: Express): Express {
  app.use(stableTestHost)
  return app
}

/** An app (built elsewhere, routes already mounted) behind one stable test Host. */
export function behindStableHost(app: Express): Express {
  return withStableHost(express()).use(app)
}

/** The Express versions every HTTP test runs against. */
export const EXPRESS_VERSIONS: readonly { name: string; create: () => Express }[] = [
  { name: 'Express 5', create: () => withStableHost(express()) },
  { name: 'Express 4', create: () => withStableHost(express4()) },
]
