export { createCache } from './create-cache.js'
export { Cache } from './cache.js'
export type { KeyOptions, SetOptions, SetManyEntry } from './direct-ops.js'
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
