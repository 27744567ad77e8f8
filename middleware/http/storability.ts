import { parseCacheControl, seconds, type Directives } from './cache-control.js'
import { parseHttpDate } from './http-date.js'

/** What the route needs to know about a finished response to decide whether to store it. */
export interface ResponseFacts {
  readonly status: number
  readonly headers: Readonly<Record<string, string | readonly string[]>>
  readonly bodyTooLarge: boolean
  readonly aborted: boolean
}

/** The route settings that bear on storability. */
export interface StorePolicy {
  readonly statuses: ReadonlySet<number>
  /**
   * Whether the request carried a credential (Authorization, a personal Cookie) the key does
   * not hold: then only an explicitly shareable response, fresh by its own headers, is stored.
   */
  readonly credentialed: boolean
}

/** Why a response may not be stored in a shared cache (RFC 9111 section 3). */
export type StoreRefusal =
  | 'aborted'
  | 'partial-content'
  | 'status'
  | 'set-cookie'
  | 'no-store'
  | 'private'
  | 'vary-star'
  | 'authorization'
  | 'too-large'

/** Decision: store for `ttlMs` (undefined: the route's ttl), or skip with a reason. */
export type StoreDecision =
  | { readonly store: true; readonly originTtlMs: number | undefined }
  | { readonly store: false; readonly reason: StoreRefusal }

/**
 * RFC 9111 section 3 for a shared cache, with the safe defaults of nginx and Varnish: never
 * store Set-Cookie, no-store, private, no-cache, Vary: *, 206, error statuses, or responses to
 * credentialed requests unless the response is explicitly shareable and fresh (section 3.5).
 */
export function decideStore(facts: ResponseFacts, policy: StorePolicy, now: number): StoreDecision {
  if (facts.aborted) return { store: false, reason: 'aborted' }
  if (facts.status === 206) return { store: false, reason: 'partial-content' }
  if (!policy.statuses.has(facts.status)) return { store: false, reason: 'status' }
  if (facts.headers['set-cookie'] !== undefined) return { store: false, reason: 'set-cookie' }
  const cc = parseCacheControl(facts.headers['cache-control'])
  if (cc.has('no-store')) return { store: false, reason: 'no-store' }
  if (cc.has('private')) return { store: false, reason: 'private' }
  if (cc.has('no-cache')) return { store: false, reason: 'no-store' }
  if (varyList(facts.headers['vary']).includes('*')) return { store: false, reason: 'vary-star' }
  const lifetime = originLifetime(cc, facts.headers, now)
  if (policy.credentialed && sharedLifetime(cc, lifetime) === undefined) {
    return { store: false, reason: 'authorization' }
  }
  if (facts.bodyTooLarge) return { store: false, reason: 'too-large' }
  return { store: true, originTtlMs: lifetime }
}

/**
 * Section 3.5, the strict way: a response to a credentialed request may be shared only when it
 * says so (`public` or `s-maxage`) and gives itself a lifetime above zero; `must-revalidate`
 * alone, `max-age=0` or no lifetime at all mean "ask the origin every time". The lifetime, in
 * ms, or undefined when it may not be shared.
 */
export function sharedLifetime(cc: Directives, lifetime: number | undefined): number | undefined {
  if (!cc.has('public') && !cc.has('s-maxage')) return undefined
  if (cc.has('no-cache') || cc.has('no-store') || cc.has('private')) return undefined
  return lifetime !== undefined && lifetime > 0 ? lifetime : undefined
}

/**
 * Whether a stored response may answer a credentialed request: explicitly shareable and still
 * fresh by its own headers (its `Date` is when it was stored), whatever the route's ttl.
 */
export function freshForCredentials(
  headers: Readonly<Record<string, string | readonly string[]>>,
  storedAt: number,
  now: number,
): boolean {
  const cc = parseCacheControl(headers['cache-control'])
  const lifetime = sharedLifetime(cc, originLifetime(cc, headers, storedAt))
  return lifetime !== undefined && now - storedAt < lifetime
}

/** Freshness lifetime from the origin (section 4.2.1): s-maxage, max-age, then Expires - Date. */
export function originLifetime(
  cc: Directives,
  headers: Readonly<Record<string, string | readonly string[]>>,
  now: number,
): number | undefined {
  const shared = seconds(cc, 's-maxage') ?? seconds(cc, 'max-age')
  if (shared !== undefined) return shared * 1000
  const expires = single(headers['expires'])
  if (expires === undefined) return undefined
  const expiresAt = parseHttpDate(expires)
  // An invalid Expires (e.g. "0") means "already expired" (section 5.3).
  if (expiresAt === undefined) return 0
  const date = parseHttpDate(single(headers['date']))
  return Math.max(0, expiresAt - (date ?? now))
}

/** The header names a Vary value lists, lower case. */
export function varyList(vary: string | readonly string[] | undefined): string[] {
  if (vary === undefined) return []
  const text = typeof vary === 'string' ? vary : vary.join(',')
  return text
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')
}

function single(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0]
}
