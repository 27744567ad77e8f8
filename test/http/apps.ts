import express from 'express'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
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

/** What {@link useMemoryRoutes} gives each test: a new cache, app and run counter. */
export interface RouteFixture {
  cache: Cache
  app: Express
  /** Handler runs so far (tests increment it). */
  runs: number
}

/**
 * A new memory-store cache and app of this Express version for each test, closed after it.
 * Read the fields inside tests (they change between tests).
 */
export function useMemoryRoutes(create: () => Express): RouteFixture {
  const fixture = {} as RouteFixture
  beforeEach(() => {
    fixture.cache = createCache({ store: new MemoryStore() })
    fixture.app = create()
    fixture.runs = 0
  })
  afterEach(() => fixture.cache.close())
  return fixture
}
