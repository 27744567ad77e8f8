/**
 * Redis-backed caching for Node.js services that run as several instances: a function cache
 * whose misses are computed once across every instance ({@link Cache.cacheFn}), a response cache
 * for Express 4 and 5 routes ({@link cacheRoute}) and a status endpoint ({@link statusRouter}).
 *
 * Everything starts with {@link createCache}. The Express adapters are also available from the
 * `herdlock/middleware` subpath; the core never imports Express.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { createCache, cacheRoute, statusRouter } from 'herdlock'
 *
 * const cache = createCache({ redis: process.env.REDIS_URL, prefix: 'myapp', defaultTtl: '5m' })
 *
 * const app = express()
 * app.get('/api/matches/:id', cacheRoute(cache, { ttl: '30s', namespace: 'matches' }), handler)
 * app.use('/cache/status', statusRouter(cache))
 *
 * const prediction = await cache.cacheFn(`prediction:${id}`, () => computePrediction(id), {
 *   ttl: '5m',
 *   namespace: 'predictions',
 *   staleWhileRevalidate: '1m',
 * })
 *
 * await cache.invalidate({ namespace: 'matches' })
 * await cache.close()
 * ```
 *
 * @packageDocumentation
 */
export * from './core.js'
export * from '../middleware/index.js'
