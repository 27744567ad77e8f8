/**
 * The framework-free core of herdlock: {@link createCache}, the {@link Cache} facade and the types
 * of its options, events, seams and errors. The Express adapters (`middleware/`) import the core
 * from here, never from the package entry that re-exports them, so the module graph has no cycle.
 *
 * @module
 */
export { createCache } from './create-cache.js'
export { Cache } from './cache.js'
export type {
  EntryOptions,
  KeyOptions,
  LocalOptions,
  SetOptions,
  SetManyEntry,
} from './entries/direct-ops.js'
export type {
  CacheOptions,
  LockOptions,
  BreakerOptions,
  L1Options,
  StatsOptions,
  HealthOptions,
} from './options/cache-options.js'
export { DEFAULTS } from './options/cache-options.js'
export type { Duration, DurationUnit } from './duration.js'
export { parseDuration, MAX_DURATION_MS } from './duration.js'
/** Option checks shared with the middleware (the validation kit, see options/checks.ts). */
export { checkFunction, positiveInteger } from './options/checks.js'
export type { Entry } from './entries/entry-codec.js'
export { cached, type CachedOptions, type MethodDecorator } from './decorator.js'
export type {
  CacheFnOptions,
  CacheFnDefaults,
  CacheFnContext,
  CacheFnFunction,
  ResultOptions,
} from './options/fn-options.js'
export { CACHE_FN_DEFAULTS } from './options/fn-options.js'
export type { CacheFnResult, CacheFnStatus } from './fn/result.js'
export type { DistributedLock, LockHandle, LockHealth } from './lock/lock.js'
export type { InvalidateTarget } from './entries/invalidation.js'
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
} from './observe/events.js'
export type { Logger } from './observe/logger.js'
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
} from './store/redis-client.js'
export type { ClusterSlotMap } from './store/redis-slot-refresh.js'
export * from './errors.js'
export type { StatsSnapshot, NamespaceStatsSnapshot } from './observe/stats/snapshot.js'
export { OTHER_NAMESPACE } from './observe/stats/stats.js'
export type { LatencySnapshot } from './observe/stats/histogram.js'
export type { HealthReport, HealthStatus, ComponentHealth } from './observe/health.js'
