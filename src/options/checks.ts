import type { Serializer } from '../codec/serializer.js'
import { DEFAULTS } from './defaults.js'
import { describe, parseDuration } from '../duration.js'
import { InvalidOptionError, OptionRangeError } from '../errors.js'
import type {
  BreakerOptions,
  HealthOptions,
  L1Options,
  LockOptions,
  ResolvedCacheOptions,
  StatsOptions,
} from './cache-options.js'
import type { RedisConnectionInput } from '../store/redis-client.js'
import type { Store } from '../store/store.js'

/**
 * The validation kit: the checks behind `resolveCacheOptions`, the cacheFn plan and the
 * middleware's options (through src/core.ts). Each names the option it rejects with a typed
 * error.
 */

export function checkStats(value: unknown): ResolvedCacheOptions['stats'] {
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

export function checkHealth(value: unknown): ResolvedCacheOptions['health'] {
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new InvalidOptionError('health', `must be an object (got ${describe(value)})`)
  }
  const health = (value ?? {}) as HealthOptions
  return Object.freeze({
    intervalMs: parseDuration(health.interval ?? DEFAULTS.healthInterval, 'health.interval'),
    timeoutMs: parseDuration(health.timeout ?? DEFAULTS.healthTimeout, 'health.timeout'),
  })
}

export function checkL1(value: unknown): ResolvedCacheOptions['l1'] {
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

export function wrapKeyError<T>(option: string, check: () => T): T {
  try {
    return check()
  } catch (error) {
    if (error instanceof InvalidOptionError || error instanceof OptionRangeError) throw error
    throw new InvalidOptionError(option, (error as Error).message.replace(/^herdlock: /, ''))
  }
}

export function checkConnection(value: unknown, option: string): RedisConnectionInput | undefined {
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

// Every member of the Store interface: a member added to Store does not compile until it is
// listed here, so checkStore cannot fall behind the seam.
const STORE_MEMBERS: Readonly<Record<keyof Store, 'method' | 'optional' | 'kind'>> = Object.freeze({
  kind: 'kind',
  get: 'method',
  getMany: 'method',
  set: 'method',
  setMany: 'method',
  delete: 'method',
  scan: 'method',
  run: 'method',
  publish: 'method',
  subscribe: 'method',
  ping: 'method',
  status: 'method',
  close: 'method',
  noticeChannel: 'optional',
  shardOf: 'optional',
})
const STORE_OPTIONAL = Object.freeze(
  (Object.keys(STORE_MEMBERS) as (keyof Store)[]).filter(
    (key) => STORE_MEMBERS[key] === 'optional',
  ),
)
const STORE_METHODS = Object.freeze(
  (Object.keys(STORE_MEMBERS) as (keyof Store)[]).filter((key) => STORE_MEMBERS[key] === 'method'),
)

/** Check a custom `store`: an object with every method of the Store interface and its kind. */
export function checkStore(value: unknown): Store | undefined {
  if (value === undefined) return undefined
  const store = checkMethods(value, 'store', STORE_METHODS) as Store
  for (const name of STORE_OPTIONAL) {
    const member = (store as unknown as Record<string, unknown>)[name]
    if (member !== undefined && typeof member !== 'function') {
      throw new InvalidOptionError(`store.${name}`, `must be a function when given`)
    }
  }
  if (store.kind !== 'redis' && store.kind !== 'memory') {
    throw new InvalidOptionError(
      'store.kind',
      `must be 'redis' or 'memory' (got ${describe(store.kind)})`,
    )
  }
  return store
}

export function checkLockNodes(
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

export function checkSerializer(serializer: Serializer): Serializer {
  checkMethods(serializer, 'serializer', ['serialize', 'deserialize'])
  if (typeof serializer.name !== 'string' || !/^[A-Za-z0-9-]{1,32}$/.test(serializer.name)) {
    throw new InvalidOptionError('serializer.name', 'must be 1-32 letters, digits or dashes')
  }
  return serializer
}

export function checkBreaker(value: unknown): ResolvedCacheOptions['breaker'] {
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

/** Check an optional function option (callbacks, predicates). */
export function checkFunction<F>(value: F | undefined, option: string): F | undefined {
  if (value === undefined || typeof value === 'function') return value
  throw new InvalidOptionError(option, `must be a function (got ${describe(value)})`)
}

/** Check an optional boolean option. */
export function checkBoolean(value: unknown, option: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw new InvalidOptionError(option, `must be a boolean (got ${describe(value)})`)
}
