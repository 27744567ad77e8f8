import { describe, parseDuration } from '../duration.js'
import { InvalidOptionError, OptionRangeError } from '../errors.js'
import {
  CACHE_FN_DEFAULTS,
  type CacheFnDefaults,
  type CacheFnOptions,
  type FnPlan,
  type ResolvedFnDefaults,
  type ResultOptions,
} from '../options/fn-options.js'
import { checkTag, type Keyspace } from '../entries/keyspace.js'
import { checkFunction } from '../options/checks.js'

/** Resolving cacheFn options: cache-level defaults once, each call's options over them. */

const optional = (value: unknown, option: string): number | undefined =>
  value === undefined ? undefined : parseDuration(value, option, { allowZero: true })

/** Resolve the cache-level defaults (validated once, at createCache). */
export function resolveFnDefaults(
  defaults: CacheFnDefaults = {},
  defaultTtlMs: number,
): ResolvedFnDefaults {
  if (typeof defaults !== 'object' || defaults === null) {
    throw new InvalidOptionError('cacheFn', `must be an object (got ${describe(defaults)})`)
  }
  const d = (name: string): string => `cacheFn.${name}`
  return Object.freeze({
    ttlMs: defaults.ttl === undefined ? defaultTtlMs : parseDuration(defaults.ttl, d('ttl')),
    staleWhileRevalidateMs: optional(defaults.staleWhileRevalidate, d('staleWhileRevalidate')) ?? 0,
    staleIfErrorMs: optional(defaults.staleIfError, d('staleIfError')) ?? 0,
    eagerRefresh: checkFraction(defaults.eagerRefresh, d('eagerRefresh')),
    lockTtlMs: parseDuration(defaults.lockTtl ?? CACHE_FN_DEFAULTS.lockTtl, d('lockTtl')),
    waitTimeoutMs: parseDuration(
      defaults.waitTimeout ?? CACHE_FN_DEFAULTS.waitTimeout,
      d('waitTimeout'),
    ),
    onWaitTimeout: checkWaitTimeoutMode(
      defaults.onWaitTimeout ?? CACHE_FN_DEFAULTS.onWaitTimeout,
      d('onWaitTimeout'),
    ),
    softTimeoutMs: optional(defaults.timeout, d('timeout')) ?? 0,
    hardTimeoutMs: optional(defaults.hardTimeout, d('hardTimeout')) ?? 0,
    jitterMs: optional(defaults.ttlJitter, d('ttlJitter')) ?? 0,
    notFoundTtlMs: optional(defaults.notFoundTtl, d('notFoundTtl')),
    errorTtlMs: optional(defaults.errorTtl, d('errorTtl')) ?? 0,
    passTtlMs: optional(defaults.passTtl, d('passTtl')) ?? 0,
  })
}

const isNullish = (value: unknown): boolean => value === null || value === undefined

/** Resolve one call's options over the defaults. Throws typed errors for bad input. */
export function planCall<T>(
  key: string,
  options: CacheFnOptions<T>,
  defaults: ResolvedFnDefaults,
  context: { readonly keyspace: Keyspace; readonly namespace: string },
): FnPlan<T> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', `must be an object (got ${describe(options)})`)
  }
  const namespace = options.namespace ?? context.namespace
  return {
    key,
    namespace,
    keys: context.keyspace.entry(namespace, key),
    ttlMs: positive(options.ttl, 'ttl', defaults.ttlMs),
    staleWhileRevalidateMs: orZero(
      options.staleWhileRevalidate,
      'staleWhileRevalidate',
      defaults.staleWhileRevalidateMs,
    ),
    staleIfErrorMs: orZero(options.staleIfError, 'staleIfError', defaults.staleIfErrorMs),
    eagerRefresh:
      options.eagerRefresh === undefined
        ? defaults.eagerRefresh
        : checkFraction(options.eagerRefresh, 'eagerRefresh'),
    lockTtlMs: positive(options.lockTtl, 'lockTtl', defaults.lockTtlMs),
    waitTimeoutMs: positive(options.waitTimeout, 'waitTimeout', defaults.waitTimeoutMs),
    onWaitTimeout:
      options.onWaitTimeout === undefined
        ? defaults.onWaitTimeout
        : checkWaitTimeoutMode(options.onWaitTimeout, 'onWaitTimeout'),
    softTimeoutMs: orZero(options.timeout, 'timeout', defaults.softTimeoutMs),
    hardTimeoutMs: orZero(options.hardTimeout, 'hardTimeout', defaults.hardTimeoutMs),
    tags: options.tags === undefined ? NO_TAGS : checkTags(options.tags),
    jitterMs: orZero(options.ttlJitter, 'ttlJitter', defaults.jitterMs),
    shouldCache: checkFunction(options.shouldCache, 'shouldCache'),
    notFoundTtlMs:
      options.notFoundTtl === undefined
        ? defaults.notFoundTtlMs
        : parseDuration(options.notFoundTtl, 'notFoundTtl', ALLOW_ZERO),
    isNotFound: checkFunction(options.isNotFound, 'isNotFound') ?? isNullish,
    errorTtlMs: orZero(options.errorTtl, 'errorTtl', defaults.errorTtlMs),
    passTtlMs: orZero(options.passTtl, 'passTtl', defaults.passTtlMs),
    signal: checkSignal(options.signal),
    immutable: options.immutable === true,
    forceFresh: checkFlag(options.forceFresh, 'forceFresh'),
  }
}

const NO_TAGS: readonly string[] = Object.freeze([])
const ALLOW_ZERO = Object.freeze({ allowZero: true })

/** A duration option that must be > 0, or its default. (Module-level: this runs per call.) */
function positive(value: unknown, option: string, fallback: number): number {
  return value === undefined ? fallback : parseDuration(value, option)
}

/** A duration option where 0 means off, or its default. */
function orZero(value: unknown, option: string, fallback: number): number {
  return value === undefined ? fallback : parseDuration(value, option, ALLOW_ZERO)
}

function checkFraction(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number')
    throw new InvalidOptionError(
      option,
      `must be a number between 0 and 1 (got ${describe(value)})`,
    )
  if (!(value > 0 && value < 1))
    throw new OptionRangeError(option, `must be between 0 and 1, exclusive (got ${value})`)
  return value
}

function checkWaitTimeoutMode(value: unknown, option: string): 'run' | 'throw' {
  if (value === 'run' || value === 'throw') return value
  throw new InvalidOptionError(option, `must be 'run' or 'throw' (got ${describe(value)})`)
}

/** Apply a function's ResultOptions to the plan used to store its result. */
export function adjustPlan<T>(plan: FnPlan<T>, options: ResultOptions): FnPlan<T> {
  return {
    ...plan,
    ttlMs: options.ttl === undefined ? plan.ttlMs : parseDuration(options.ttl, 'ttl'),
    tags: options.tags === undefined ? plan.tags : checkTags(options.tags),
    staleWhileRevalidateMs:
      options.staleWhileRevalidate === undefined
        ? plan.staleWhileRevalidateMs
        : parseDuration(options.staleWhileRevalidate, 'staleWhileRevalidate', { allowZero: true }),
    staleIfErrorMs:
      options.staleIfError === undefined
        ? plan.staleIfErrorMs
        : parseDuration(options.staleIfError, 'staleIfError', { allowZero: true }),
  }
}

function checkTags(tags: unknown): readonly string[] {
  if (tags === undefined) return []
  if (!Array.isArray(tags))
    throw new InvalidOptionError('tags', `must be an array of strings (got ${describe(tags)})`)
  return tags.map(checkTag)
}

function checkFlag(value: unknown, option: string): boolean {
  if (value === undefined || typeof value === 'boolean') return value === true
  throw new InvalidOptionError(option, `must be a boolean (got ${describe(value)})`)
}

function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal
  throw new InvalidOptionError('signal', `must be an AbortSignal (got ${describe(signal)})`)
}
