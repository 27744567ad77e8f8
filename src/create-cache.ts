import { randomBytes } from 'node:crypto'
import { StoreBreakers } from './store/breakers.js'
import { Bus } from './bus/bus.js'
import { Cache } from './cache.js'
import { EntryCodec } from './entries/entry-codec.js'
import { EntryStore } from './entries/entry-store.js'
import { CacheEvents } from './observe/events.js'
import { SingleFlight } from './fn/single-flight.js'
import { FnEngine } from './fn/engine.js'
import { HealthProbe } from './observe/health.js'
import { Invalidator } from './entries/invalidation.js'
import { InvalidationOps } from './entries/invalidation-ops.js'
import { Keyspace } from './entries/keyspace.js'
import { L1Tier } from './entries/l1.js'
import { LocalLock } from './lock/local-lock.js'
import type { DistributedLock } from './lock/lock.js'
import { RedlockLock } from './lock/redlock-lock.js'
import { StateLog } from './observe/logger.js'
import {
  resolveCacheOptions,
  type CacheOptions,
  type ResolvedCacheOptions,
} from './options/cache-options.js'
import { StatsCollector } from './observe/stats/stats.js'
import { MemoryStore } from './store/memory-store.js'
import { RedisStore } from './store/redis-store.js'
import type { Store } from './store/store.js'
import { WaiterRegistry } from './fn/waiters.js'

/** How long a fence outlives the last write or delete of its key. */
const FENCE_GRACE_MS = 60_000

/**
 * Create a cache. Options are validated here, once; a bad option throws a TypeError or
 * RangeError naming it. Connections open in the background: an unreachable Redis never makes
 * this throw or hang (calls fail open until it is back).
 *
 * @example
 * const cache = createCache({ redis: process.env.REDIS_URL, prefix: 'myapp', defaultTtl: '5m' })
 * const prediction = await cache.cacheFn(`prediction:${id}`, () => computePrediction(id), {
 *   ttl: '5m', namespace: 'predictions', staleWhileRevalidate: '1m',
 * })
 * await cache.close()
 */
export function createCache(options: CacheOptions = {}): Cache {
  const resolved = resolveCacheOptions(options)
  const events = new CacheEvents(resolved.emitter)
  // Attached first, so that it counts from the very first event.
  const stats = new StatsCollector(resolved.stats === undefined ? undefined : events, {
    maxNamespaces: resolved.stats?.maxNamespaces ?? 1,
  })
  const log = new StateLog(resolved.logger)
  const { store, owned } = openStore(resolved, events, log)
  const keyspace = new Keyspace(resolved.prefix)
  const bus = new Bus(store, keyspace.channel, randomBytes(8).toString('hex'), events)
  const l1 = resolved.l1 === undefined ? undefined : new L1Tier(resolved.l1, bus, events)
  const breaker = openBreaker(resolved, events, store)
  const entryDeps = {
    store,
    codec: new EntryCodec(resolved.serializer),
    keyspace,
    bus,
    events,
    log,
    breaker,
    throwOnStoreError: resolved.throwOnStoreError,
    fenceGraceMs: FENCE_GRACE_MS,
    l1,
  }
  const entries = new EntryStore(entryDeps)
  const lock = openLock(resolved, store, events, log)
  const fn = openEngine(resolved, { entries, lock, bus, events, log, keyspace })
  const invalidator = new Invalidator({
    ops: new InvalidationOps(entryDeps),
    keyspace,
    events,
    defaultNamespace: resolved.namespace,
  })
  invalidator.onInvalidated((scope) => fn.forget(scope))
  bus.start()
  return new Cache({
    options: resolved,
    store,
    ownsStore: owned,
    keyspace,
    entries,
    invalidator,
    bus,
    events,
    fn,
    lock,
    stats,
    health: new HealthProbe({ store, bus, lock, breaker }, resolved.health),
    closers: [
      () => lock.close(),
      () => Promise.resolve(l1?.clear()),
      () => Promise.resolve(breaker?.clear()),
    ],
  })
}

/** The cacheFn engine, with its in-process coordination: single flights and waiters. */
function openEngine(
  options: ResolvedCacheOptions,
  parts: {
    entries: EntryStore
    lock: DistributedLock
    bus: Bus
    events: CacheEvents
    log: StateLog
    keyspace: Keyspace
  },
): FnEngine {
  const { entries, lock, bus, events, log, keyspace } = parts
  return new FnEngine(
    {
      entries,
      lock,
      bus,
      events,
      waiters: new WaiterRegistry(bus),
      flights: new SingleFlight(),
      forced: new SingleFlight(),
      refreshes: new SingleFlight(),
      passes: new SingleFlight(),
      log,
    },
    { keyspace, namespace: options.namespace, defaults: options.fnDefaults },
  )
}

function openBreaker(
  options: ResolvedCacheOptions,
  events: CacheEvents,
  store: Store,
): StoreBreakers | undefined {
  if (options.breaker === undefined) return undefined
  const shardOf = store.shardOf?.bind(store)
  return new StoreBreakers(
    options.breaker,
    (state, previous, shard) =>
      events.emit('breaker:state', { state, previous, ...(shard === undefined ? {} : { shard }) }),
    shardOf,
  )
}

function openStore(
  options: ResolvedCacheOptions,
  events: CacheEvents,
  log: StateLog,
): { store: Store; owned: boolean } {
  if (options.store !== undefined) return { store: options.store, owned: false }
  if (options.redis === undefined) {
    return { store: new MemoryStore({ maxBytes: options.memoryMaxBytes }), owned: true }
  }
  const store = new RedisStore(options.redis, {
    commandTimeoutMs: options.commandTimeoutMs,
    onError: (error) => {
      log.down('store', error)
      events.emit('error', { source: 'store', operation: 'connection', error })
    },
  })
  return { store, owned: true }
}

/** Redlock over `lock.nodes`, else over the store's Redis; in-process for the memory store. */
function openLock(
  options: ResolvedCacheOptions,
  store: Store,
  events: CacheEvents,
  log: StateLog,
): DistributedLock {
  const nodes = options.lockNodes ?? (options.redis === undefined ? undefined : [options.redis])
  if (nodes === undefined) return LocalLock.for(store)
  return new RedlockLock(nodes, {
    commandTimeoutMs: options.commandTimeoutMs,
    // Each lock node gets a breaker like the store's: a hung node is skipped after a few
    // timeouts instead of costing every call its deadline.
    ...(options.breaker === undefined ? {} : { breaker: options.breaker }),
    onError: (error) => {
      log.down('lock', error)
      events.emit('error', { source: 'lock', operation: 'connection', error })
    },
  })
}
