import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  checkFunction,
  InvalidOptionError,
  OptionRangeError,
  parseDuration,
  positiveInteger,
  type Cache,
  type Duration,
} from '../../src/core.js'
import { resolveDirectivePermissions, type DirectivePermissions } from './directive-permissions.js'
import { ROUTE_DEFAULTS, type CacheRouteOptions, type RouteMode } from './options.js'

/**
 * cacheRoute's options validated once, when the middleware is created: durations in milliseconds,
 * names lower-cased and sorted, predicates checked, the mode's implications applied.
 */

/** Options after validation. */
export interface RouteSettings {
  readonly namespace: string
  readonly ttlMs: number | undefined
  /** `mode: 'shared'`: the RFC 9111 shared-cache rules decide (see {@link CacheRouteOptions.mode}). */
  readonly shared: boolean
  readonly originTtl: boolean
  /** The longest heuristic lifetime: the route's ttl, else the cache's `defaultTtl`. */
  readonly heuristicCapMs: number
  readonly key: ((req: IncomingMessage) => string) | undefined
  readonly vary: readonly string[]
  readonly staleWhileRevalidateMs: number
  readonly staleIfErrorMs: number
  readonly timeoutMs: number
  readonly statuses: ReadonlySet<number>
  readonly maxBodySize: number
  readonly unless: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined
  readonly tags: readonly string[]
  readonly invalidateOnUnsafe: boolean
  readonly bypass: ((req: IncomingMessage) => boolean) | undefined
  readonly refresh: ((req: IncomingMessage) => boolean) | undefined
  readonly passTtlMs: number
  readonly lockTtl: Duration | undefined
  readonly waitTimeout: Duration | undefined
  /** Whether the key holds the Authorization value (then such requests may share entries). */
  readonly keysAuthorization: boolean
  /** Whether the key holds the Cookie value (then such requests may share entries). */
  readonly keysCookie: boolean
  /** Cookies that do not personalise the response (`ignoreCookies`). */
  readonly ignoreCookies: readonly (string | RegExp)[]
  /** `acceptLanguage: 'rfc'` (shared mode): Accept-Language by its RFC 9110 meaning. */
  readonly rfcLanguage: boolean
  /** Who may use which request directives; undefined when none may (the default). */
  readonly requestDirectives: DirectivePermissions | undefined
}

const optionalDuration = (value: unknown, name: string): number =>
  value === undefined ? 0 : parseDuration(value, name, { allowZero: true })

/** Validate `cacheRoute` options once, when the middleware is created. */
export function resolveRouteOptions(cache: Cache, options: CacheRouteOptions): RouteSettings {
  if (typeof cache !== 'object' || cache === null || typeof cache.cacheFnResult !== 'function') {
    throw new InvalidOptionError('cache', 'must be a cache made by createCache()')
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'must be an object')
  }
  const vary = checkNames(options.vary ?? [], 'vary')
  const shared = checkMode(options) === 'shared'
  const ttlMs = options.ttl === undefined ? undefined : parseDuration(options.ttl, 'ttl')
  const statuses = options.statuses ?? (shared ? ROUTE_DEFAULTS.sharedStatuses : undefined)
  return Object.freeze({
    namespace: checkString(options.namespace ?? ROUTE_DEFAULTS.namespace, 'namespace'),
    ttlMs,
    shared,
    originTtl: shared || options.originTtl === true,
    heuristicCapMs: ttlMs ?? cache.defaultTtlMs,
    key: checkFunction(options.key, 'key'),
    vary,
    staleWhileRevalidateMs: optionalDuration(options.staleWhileRevalidate, 'staleWhileRevalidate'),
    staleIfErrorMs: optionalDuration(options.staleIfError, 'staleIfError'),
    timeoutMs: optionalDuration(options.timeout, 'timeout'),
    statuses: new Set(checkStatuses(statuses ?? ROUTE_DEFAULTS.statuses)),
    maxBodySize: positiveInteger(options.maxBodySize ?? ROUTE_DEFAULTS.maxBodySize, 'maxBodySize'),
    unless: checkFunction(options.unless, 'unless'),
    tags: checkNames(options.tags ?? [], 'tags', false),
    invalidateOnUnsafe: options.invalidateOnUnsafe === true,
    bypass: checkFunction(options.bypass, 'bypass'),
    refresh: checkFunction(options.refresh, 'refresh'),
    passTtlMs: optionalDuration(options.passTtl ?? ROUTE_DEFAULTS.passTtl, 'passTtl'),
    lockTtl: options.lockTtl,
    waitTimeout: options.waitTimeout,
    keysAuthorization: vary.includes('authorization'),
    keysCookie: vary.includes('cookie'),
    ignoreCookies: checkCookieNames(options.ignoreCookies ?? []),
    requestDirectives: resolveDirectivePermissions(options.requestDirectives),
    rfcLanguage: checkAcceptLanguage(options, shared) === 'rfc',
  })
}

function checkMode(options: CacheRouteOptions): RouteMode {
  const mode: unknown = options.mode ?? ROUTE_DEFAULTS.mode
  if (mode !== 'default' && mode !== 'shared') {
    throw new InvalidOptionError('mode', "must be 'default' or 'shared'")
  }
  if (mode === 'shared' && options.originTtl === false) {
    throw new InvalidOptionError('originTtl', "cannot be false with mode 'shared' (implied)")
  }
  return mode
}

function checkAcceptLanguage(options: CacheRouteOptions, shared: boolean): 'express' | 'rfc' {
  const value: unknown = options.acceptLanguage ?? ROUTE_DEFAULTS.acceptLanguage
  if (value !== 'express' && value !== 'rfc') {
    throw new InvalidOptionError('acceptLanguage', "must be 'express' or 'rfc'")
  }
  if (value === 'rfc' && !shared) {
    throw new InvalidOptionError('acceptLanguage', "'rfc' needs mode 'shared'")
  }
  return value
}

function checkString(value: unknown, option: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidOptionError(option, 'must be a non-empty string')
  }
  return value
}

function checkNames(value: unknown, option: string, lowerCase = true): readonly string[] {
  if (!Array.isArray(value)) throw new InvalidOptionError(option, 'must be an array of strings')
  const names = value.map((item, index) => checkString(item, `${option}[${index}]`))
  return lowerCase ? [...new Set(names.map((name) => name.toLowerCase()))].sort() : names
}

function checkCookieNames(value: unknown): readonly (string | RegExp)[] {
  const option = 'ignoreCookies'
  if (!Array.isArray(value)) {
    throw new InvalidOptionError(option, 'must be an array of cookie names and regular expressions')
  }
  return Object.freeze(
    value.map((item: unknown, index) => {
      if (item instanceof RegExp) {
        // A global or sticky expression remembers where it last matched: tests would alternate.
        if (item.global || item.sticky) {
          throw new InvalidOptionError(`${option}[${index}]`, 'must not use the g or y flag')
        }
        return item
      }
      return checkString(item, `${option}[${index}]`)
    }),
  )
}

function checkStatuses(value: unknown): number[] {
  if (!Array.isArray(value))
    throw new InvalidOptionError('statuses', 'must be an array of status codes')
  return value.map((status: unknown, index) => {
    if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599) {
      throw new OptionRangeError(`statuses[${index}]`, 'must be an HTTP status code (100-599)')
    }
    if (status === 206)
      throw new OptionRangeError(`statuses[${index}]`, 'partial content (206) is never stored')
    return status as number
  })
}
