import { typedJsonSerializer } from './codec/default-serializer.js'
import type { Serializer } from './codec/serializer.js'
import { describe, parseDuration, type Duration } from './duration.js'
import { InvalidOptionError, OptionRangeError } from './errors.js'
import type { Emitter } from './events.js'
import { resolveFnDefaults, type CacheFnDefaults, type ResolvedFnDefaults } from './fn-options.js'
import { checkNamespace, checkPrefix } from './keys.js'
import type { Logger } from './logger.js'
import type { RedisConnectionInput } from './store/redis-connection.js'
import type { Store } from './store/store.js'

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
  memory?: { /** Memory bound in bytes. @default 67108864 */ maxBytes?: number }
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

/** The defaults, in one frozen place. */
export const DEFAULTS = Object.freeze({
  prefix: 'herdlock',
  defaultTtl: '5m',
  namespace: 'default',
  commandTimeout: '500ms',
  memoryMaxBytes: 64 * 1024 * 1024,
  breakerThreshold: 3,
  breakerCooldown: '500ms',
  throwOnStoreError: false,
  l1MaxBytes: 16 * 1024 * 1024,
  l1MaxTtl: '30s',
  statsMaxNamespaces: 100,
  healthInterval: '2s',
  healthTimeout: '1s',
} as const)

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
  return Object.freeze({
    redis: checkConnection(options.redis, 'redis'),
    store: checkStore(options.store),
    lockNodes: checkLockNodes(options.lock),
    prefix: wrapKeyError('prefix', () => checkPrefix(options.prefix ?? DEFAULTS.prefix)),
    defaultTtlMs: parseDuration(options.defaultTtl ?? DEFAULTS.defaultTtl, 'defaultTtl'),
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
    fnDefaults: resolveFnDefaults(
      options.cacheFn,
      parseDuration(options.defaultTtl ?? DEFAULTS.defaultTtl, 'defaultTtl'),
    ),
    l1: checkL1(options.l1),
    stats: checkStats(options.stats),
    health: checkHealth(options.health),
  })
}

function checkStats(value: unknown): ResolvedCacheOptions['stats'] {
  if (value === false) return undefined
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new InvalidOptionError('stats', `must be false or an object (got ${describe(value)})`)
  }
  const stats = (value ?? {}) as StatsOptions
  return Object.freeze({
    maxNamespaces: positiveInteger(
      stats.maxNamespaces ?? DEFAULTS.statsMaxNamespaces,
      'stats.maxNamespaces',
    ),
  })
}

function checkHealth(value: unknown): ResolvedCacheOptions['health'] {
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new InvalidOptionError('health', `must be an object (got ${describe(value)})`)
  }
  const health = (value ?? {}) as HealthOptions
  return Object.freeze({
    intervalMs: parseDuration(health.interval ?? DEFAULTS.healthInterval, 'health.interval'),
    timeoutMs: parseDuration(health.timeout ?? DEFAULTS.healthTimeout, 'health.timeout'),
  })
}

function checkL1(value: unknown): ResolvedCacheOptions['l1'] {
  if (value === undefined || value === false) return undefined
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionError('l1', `must be false or an object (got ${describe(value)})`)
  }
  const l1 = value as L1Options
  return Object.freeze({
    maxBytes: positiveInteger(l1.maxBytes ?? DEFAULTS.l1MaxBytes, 'l1.maxBytes'),
    maxTtlMs: parseDuration(l1.maxTtl ?? DEFAULTS.l1MaxTtl, 'l1.maxTtl'),
  })
}

function wrapKeyError<T>(option: string, check: () => T): T {
  try {
    return check()
  } catch (error) {
    if (error instanceof InvalidOptionError || error instanceof OptionRangeError) throw error
    throw new InvalidOptionError(option, (error as Error).message.replace(/^herdlock: /, ''))
  }
}

function checkConnection(value: unknown, option: string): RedisConnectionInput | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') {
    if (!/^(rediss?|unix):\/\//.test(value)) {
      throw new InvalidOptionError(option, `must be a redis:// or rediss:// URL`)
    }
    return value
  }
  if (typeof value !== 'object' || value === null || !('sendCommand' in value)) {
    throw new InvalidOptionError(
      option,
      `must be a Redis URL or a node-redis client, cluster or pool (got ${describe(value)})`,
    )
  }
  return value as RedisConnectionInput
}

function checkStore(value: unknown): Store | undefined {
  if (value === undefined) return undefined
  return checkMethods(value, 'store', ['get', 'getMany', 'set', 'run', 'scan', 'close']) as Store
}

function checkLockNodes(
  lock: LockOptions | undefined,
): readonly RedisConnectionInput[] | undefined {
  if (lock === undefined) return undefined
  if (typeof lock !== 'object' || lock === null) {
    throw new InvalidOptionError('lock', `must be an object (got ${describe(lock)})`)
  }
  if (lock.nodes === undefined) return undefined
  if (!Array.isArray(lock.nodes) || lock.nodes.length === 0) {
    throw new InvalidOptionError('lock.nodes', 'must be a non-empty array of URLs or clients')
  }
  return Object.freeze(
    lock.nodes.map((node: unknown, index) => checkConnection(node, `lock.nodes[${index}]`)!),
  )
}

function checkSerializer(serializer: Serializer): Serializer {
  checkMethods(serializer, 'serializer', ['serialize', 'deserialize'])
  if (typeof serializer.name !== 'string' || !/^[A-Za-z0-9-]{1,32}$/.test(serializer.name)) {
    throw new InvalidOptionError('serializer.name', 'must be 1-32 letters, digits or dashes')
  }
  return serializer
}

function checkBreaker(value: unknown): ResolvedCacheOptions['breaker'] {
  if (value === false) return undefined
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new InvalidOptionError('breaker', `must be false or an object (got ${describe(value)})`)
  }
  const breaker = (value ?? {}) as BreakerOptions
  return Object.freeze({
    threshold: positiveInteger(breaker.threshold ?? DEFAULTS.breakerThreshold, 'breaker.threshold'),
    cooldownMs: parseDuration(breaker.cooldown ?? DEFAULTS.breakerCooldown, 'breaker.cooldown'),
  })
}

/** Check that a value is an object with the given methods. */
export function checkMethods<T>(value: T, option: string, methods: readonly string[]): T {
  if (value === undefined) return value
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionError(option, `must be an object (got ${describe(value)})`)
  }
  for (const method of methods) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') {
      throw new InvalidOptionError(option, `must have a ${method}() method`)
    }
  }
  return value
}

/** Check a positive integer option. */
export function positiveInteger(value: unknown, option: string): number {
  if (typeof value !== 'number') {
    throw new InvalidOptionError(option, `must be a number (got ${describe(value)})`)
  }
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new OptionRangeError(option, `must be a positive integer (got ${value})`)
  }
  return value
}

/** Check an optional boolean option. */
export function checkBoolean(value: unknown, option: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw new InvalidOptionError(option, `must be a boolean (got ${describe(value)})`)
}
