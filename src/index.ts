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
export { createCache } from './create-cache.js'
export { Cache } from './cache.js'
export type { KeyOptions, LocalOptions, SetOptions, SetManyEntry } from './direct-ops.js'
export type {
  CacheOptions,
  LockOptions,
  BreakerOptions,
  L1Options,
  StatsOptions,
  HealthOptions,
} from './options.js'
export { DEFAULTS } from './options.js'
export type { Duration, DurationUnit } from './duration.js'
export { parseDuration } from './duration.js'
export type { Entry } from './entry-codec.js'
export { cached, type CachedOptions, type MethodDecorator } from './decorator.js'
export type {
  CacheFnOptions,
  CacheFnDefaults,
  CacheFnContext,
  CacheFnFunction,
} from './fn-options.js'
export { CACHE_FN_DEFAULTS } from './fn-options.js'
export type { CacheFnResult, CacheFnStatus } from './fn-shared.js'
export type { DistributedLock, LockHandle, LockHealth } from './lock/lock.js'
export type { InvalidateTarget } from './invalidation.js'
export type { Serializer } from './codec/serializer.js'
export { typedJsonSerializer } from './codec/default-serializer.js'
export type {
  CacheEventMap,
  CacheEventName,
  CacheEventListener,
  Emitter,
  HitTier,
  SkipReason,
  ErrorSource,
  BreakerState,
} from './events.js'
export type { Logger } from './logger.js'
export type {
  Store,
  StoreWrite,
  StoreScript,
  ScriptCall,
  ScriptReply,
  MemoryDb,
} from './store/store.js'
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js'
export type {
  RedisConnectionInput,
  RedisClient,
  RedisCluster,
  RedisClientPool,
} from './store/redis-connection.js'
export * from './errors.js'
export type { StatsSnapshot, NamespaceStatsSnapshot } from './stats-snapshot.js'
export { OTHER_NAMESPACE } from './stats.js'
export type { LatencySnapshot } from './histogram.js'
export type { HealthReport, HealthStatus, ComponentHealth } from './health.js'
// Last, so that every core module is evaluated before the adapters that import it.
export * from '../middleware/index.js'
