import { typedJsonSerializer } from '../codec/default-serializer.js'
import { DEFAULTS } from './defaults.js'
import type { Serializer } from '../codec/serializer.js'
import { describe, parseDuration, type Duration } from '../duration.js'
import { InvalidOptionError } from '../errors.js'
import type { Emitter } from '../observe/events.js'
import type { CacheFnDefaults, ResolvedFnDefaults } from './fn-options.js'
import { resolveFnDefaults } from '../fn/plan.js'
import { checkNamespace, checkPrefix } from '../entries/keyspace.js'
import {
  checkBoolean,
  checkBreaker,
  checkConnection,
  checkHealth,
  checkL1,
  checkLockNodes,
  checkMethods,
  checkSerializer,
  checkStats,
  checkStore,
  positiveInteger,
  wrapKeyError,
} from './checks.js'
import type { Logger } from '../observe/logger.js'
import type { RedisConnectionInput } from '../store/redis-client.js'
import type { Store } from '../store/store.js'

/** Options of `createCache`. Every field is optional. */
export interface CacheOptions {
  /**
   * Where entries live: a Redis URL, or a node-redis client, cluster or client pool you own
   * (herdlock never closes what you pass in). Omitted: the embedded in-process memory store.
   */
  redis?: RedisConnectionInput
  /** A Store implementation to use instead of `redis` (advanced; tests, custom backends). */
  store?: Store
  /** Distributed lock settings. */
  lock?: LockOptions
  /**
   * Prefix of every Redis key and of the pub/sub channel. Caches that should share entries
   * must use the same prefix.
   * @default 'herdlock'
   */
  prefix?: string
  /**
   * Time to live of entries when a call gives no `ttl`.
   * @default '5m'
   */
  defaultTtl?: Duration
  /**
   * Namespace of calls that give none.
   * @default 'default'
   */
  namespace?: string
  /**
   * Deadline of every store operation. A store that is down or hung costs a call at most this
   * long; the call then fails open (a miss, a skipped write).
   * @default '500ms'
   */
  commandTimeout?: Duration
  /** How values become bytes. @default the typed-JSON serializer */
  serializer?: Serializer
  /** Settings of the embedded memory store (used when neither `redis` nor `store` is given). */
  memory?: {
    /** Memory bound in bytes. @default 67108864 (64 MiB) */
    maxBytes?: number
  }
  /** Circuit breaker around the store; `false` disables it. */
  breaker?: false | BreakerOptions
  /** Event emitter to emit on (node's EventEmitter or compatible). @default a new EventEmitter */
  emitter?: Emitter
  /** Logger (pino-compatible); infrastructure problems are logged once per state change. */
  logger?: Logger
  /**
   * Throw store errors at callers instead of failing open.
   * @default false
   */
  throwOnStoreError?: boolean
  /** Defaults for every `cacheFn` call (each call can override them). */
  cacheFn?: CacheFnDefaults
  /**
   * The optional in-process tier in front of Redis, kept coherent across instances through
   * pub/sub. Off unless given.
   * @default false
   */
  l1?: false | L1Options
  /**
   * Counters and latency histograms, read with `cache.stats()` and the status endpoint; `false`
   * turns them off (`cache.stats()` then reports zeros with `enabled: false`).
   * @default {} (on)
   */
  stats?: false | StatsOptions
  /** Health probes, read with `cache.health()` and the status endpoint. */
  health?: HealthOptions
}

/** Options of the stats collector. */
export interface StatsOptions {
  /**
   * Namespaces counted separately; later ones are counted together under `(other)`, so memory
   * stays bounded even when namespaces are made from user input.
   * @default 100
   */
  maxNamespaces?: number
}

/** Options of the health probes. */
export interface HealthOptions {
  /**
   * How long a health report is reused: however often the status endpoint is hit, Redis sees
   * at most one probe per interval. Also the longest a change (Redis down, back) goes unseen.
   * @default '2s'
   */
  interval?: Duration
  /**
   * Deadline of each probe (store PING, each lock node); `commandTimeout` also applies to
   * those commands, so a probe ends at whichever comes first.
   * @default '1s'
   */
  timeout?: Duration
}

/** Options of the L1 tier. */
export interface L1Options {
  /** Memory bound in bytes. @default 16777216 (16 MiB) */
  maxBytes?: number
  /**
   * Longest an entry is served from L1 without asking Redis again; bounds staleness if an
   * invalidation notice is lost. @default '30s'
   */
  maxTtl?: Duration
}

/** Distributed lock options. */
export interface LockOptions {
  /**
   * Independent Redis masters for Redlock (URLs or clients). With 3 or 5 nodes the lock needs a
   * majority. Default: the store's own Redis.
   */
  nodes?: readonly RedisConnectionInput[]
}

/** Circuit breaker options. */
export interface BreakerOptions {
  /** Consecutive store failures that open the breaker. @default 3 */
  threshold?: number
  /** How long the breaker stays open before a probe. @default '500ms' */
  cooldown?: Duration
}

/** Options after validation: durations in ms, defaults applied. */
export interface ResolvedCacheOptions {
  readonly redis: RedisConnectionInput | undefined
  readonly store: Store | undefined
  readonly lockNodes: readonly RedisConnectionInput[] | undefined
  readonly prefix: string
  readonly defaultTtlMs: number
  readonly namespace: string
  readonly commandTimeoutMs: number
  readonly serializer: Serializer
  readonly memoryMaxBytes: number
  readonly breaker: { readonly threshold: number; readonly cooldownMs: number } | undefined
  readonly emitter: Emitter | undefined
  readonly logger: Logger | undefined
  readonly throwOnStoreError: boolean
  readonly fnDefaults: ResolvedFnDefaults
  readonly l1: { readonly maxBytes: number; readonly maxTtlMs: number } | undefined
  readonly stats: { readonly maxNamespaces: number } | undefined
  readonly health: { readonly intervalMs: number; readonly timeoutMs: number }
}

/** Validate options once, at construction; every error names the option. */
export function resolveCacheOptions(options: CacheOptions = {}): ResolvedCacheOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', `must be an object (got ${describe(options)})`)
  }
  const defaultTtlMs = parseDuration(options.defaultTtl ?? DEFAULTS.defaultTtl, 'defaultTtl')
  return Object.freeze({
    redis: checkConnection(options.redis, 'redis'),
    store: checkStore(options.store),
    lockNodes: checkLockNodes(options.lock),
    prefix: wrapKeyError('prefix', () => checkPrefix(options.prefix ?? DEFAULTS.prefix)),
    defaultTtlMs,
    namespace: wrapKeyError('namespace', () =>
      checkNamespace(options.namespace ?? DEFAULTS.namespace),
    ),
    commandTimeoutMs: parseDuration(
      options.commandTimeout ?? DEFAULTS.commandTimeout,
      'commandTimeout',
    ),
    serializer: checkSerializer(options.serializer ?? typedJsonSerializer),
    memoryMaxBytes: positiveInteger(
      options.memory?.maxBytes ?? DEFAULTS.memoryMaxBytes,
      'memory.maxBytes',
    ),
    breaker: checkBreaker(options.breaker),
    emitter: checkMethods(options.emitter, 'emitter', ['emit', 'on', 'off']),
    logger: checkMethods(options.logger, 'logger', ['debug', 'info', 'warn', 'error']),
    throwOnStoreError: checkBoolean(options.throwOnStoreError, 'throwOnStoreError') ?? false,
    fnDefaults: resolveFnDefaults(options.cacheFn, defaultTtlMs),
    l1: checkL1(options.l1),
    stats: checkStats(options.stats),
    health: checkHealth(options.health),
  })
}

export { DEFAULTS } from './defaults.js'
