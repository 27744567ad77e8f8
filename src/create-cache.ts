import { randomBytes } from 'node:crypto'
import { CircuitBreaker } from './breaker.js'
import { Bus } from './bus.js'
import { Cache } from './cache.js'
import { EntryCodec } from './entry-codec.js'
import { EntryStore } from './entry-store.js'
import { CacheEvents } from './events.js'
import { Invalidator } from './invalidation.js'
import { Keyspace } from './keys.js'
import { StateLog } from './logger.js'
import { resolveCacheOptions, type CacheOptions, type ResolvedCacheOptions } from './options.js'
import { MemoryStore } from './store/memory-store.js'
import { RedisStore } from './store/redis-store.js'
import type { Store } from './store/store.js'

/** How long a fence outlives the last write or delete of its key. */
const FENCE_GRACE_MS = 60_000

/**
 * Create a cache. Options are validated here, once; a bad option throws a TypeError or
 * RangeError naming it. Connections open in the background: an unreachable Redis never makes
 * this throw or hang (calls fail open until it is back).
 *
 * @example
 * const cache = createCache({ redis: process.env.REDIS_URL, prefix: 'myapp', defaultTtl: '5m' })
 * await cache.set('user:1', { name: 'Ada' }, { ttl: '30s', namespace: 'users' })
 * const user = await cache.get('user:1', { namespace: 'users' })
 * await cache.close()
 */
export function createCache(options: CacheOptions = {}): Cache {
  const resolved = resolveCacheOptions(options)
  const events = new CacheEvents(resolved.emitter)
  const log = new StateLog(resolved.logger)
  const { store, owned } = openStore(resolved, events, log)
  const keyspace = new Keyspace(resolved.prefix)
  const bus = new Bus(store, keyspace.channel, randomBytes(8).toString('hex'), events)
  const breaker = resolved.breaker
    ? new CircuitBreaker(resolved.breaker, (state, previous) =>
        events.emit('breaker:state', { state, previous }),
      )
    : undefined
  const entries = new EntryStore({
    store,
    codec: new EntryCodec(resolved.serializer),
    keyspace,
    bus,
    events,
    log,
    breaker,
    throwOnStoreError: resolved.throwOnStoreError,
    fenceGraceMs: FENCE_GRACE_MS,
  })
  const invalidator = new Invalidator({
    store,
    entries,
    keyspace,
    bus,
    events,
    defaultNamespace: resolved.namespace,
  })
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
    closers: [],
  })
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
