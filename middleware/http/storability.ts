import { parseCacheControl, type Directives } from './cache-control.js'
import {
  explicitLifetime,
  heuristicLifetime,
  initialAge,
  UNDERSTOOD_STATUSES,
  type ExchangeTimes,
} from './freshness.js'
import { governingDirectives } from './targeted.js'

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
  /**
   * Shared mode, a request whose only credential is `Authorization`: `must-revalidate` makes its
   * response shareable too (RFC 9111 3.5), under the same rule (a lifetime of its own left after
   * its age; never the route's ttl, never served stale). Cookies are herdlock's own credential,
   * not section 3.5's: `must-revalidate` never shares a response to a request with a personal
   * Cookie.
   */
  readonly authorizationOnly?: boolean
  /**
   * RFC 9111 shared-cache rules: a response is stored only for the lifetime its own headers give
   * (explicit, or heuristic up to `heuristicCapMs`), and only while that is left after its age.
   */
  readonly shared: boolean
  /** The longest heuristic lifetime (shared mode). */
  readonly heuristicCapMs: number
  /** When the response was asked for and when it arrived. */
  readonly times: ExchangeTimes
}

/** Why a response may not be stored in a shared cache (RFC 9111 section 3). */
export type StoreRefusal =
  | 'aborted'
  | 'partial-content'
  | 'status'
  | 'set-cookie'
  | 'no-store'
  /** Shared mode: storable but never fresh (`no-cache`), kept only to be revalidated. */
  | 'no-cache'
  | 'private'
  | 'vary-star'
  | 'authorization'
  | 'too-large'
  | 'no-freshness'
  | 'stale'

/** How long a stored response is fresh, by its own headers. */
export interface OriginFreshness {
  /** Lifetime left once its age is taken off (ms); undefined when the origin gives none. */
  readonly remainingMs: number | undefined
  /** Its corrected initial age (ms), the base of the `Age` it is served with. */
  readonly initialAgeMs: number
  /** `must-revalidate`, `proxy-revalidate` or `s-maxage`: never served stale (RFC 9111 4.2.4). */
  readonly noStale: boolean
}

/** Decision: store with the origin's freshness, or skip with a reason. */
export type StoreDecision =
  | ({ readonly store: true } & OriginFreshness)
  | { readonly store: false; readonly reason: StoreRefusal }

/**
 * RFC 9111 section 3 for a shared cache, with the safe defaults of nginx and Varnish: never
 * store Set-Cookie, no-store, private, no-cache, Vary: *, 206, statuses the policy leaves out, or
 * responses to credentialed requests unless the response is explicitly shareable and fresh
 * (section 3.5). In shared mode, also nothing without a lifetime of its own, nothing already
 * stale, and nothing `must-understand` marks with a status herdlock does not know; a `no-cache`
 * response that passes every other rule is refused with reason `no-cache` (it may be kept for
 * revalidation). The
 * directives are the first targeted field herdlock reads (`Herdlock-Cache-Control`, and
 * `Surrogate-Control` in shared mode), else `Cache-Control`.
 */
export function decideStore(facts: ResponseFacts, policy: StorePolicy): StoreDecision {
  const governing = governingDirectives(facts.headers, policy.shared)
  const refused = headerRefusal(facts, governing.cc, policy)
  if (refused !== undefined) return { store: false, reason: refused }
  const { cc } = governing
  // A targeted field replaces Expires too (RFC 9213 2.1).
  const headers = governing.targeted ? withoutExpires(facts.headers) : facts.headers
  const freshness = originFreshness({ status: facts.status, headers }, cc, policy)
  const mustRevalidateShares = policy.shared && policy.authorizationOnly === true
  if (
    policy.credentialed &&
    sharedLifetime(cc, freshness.remainingMs, mustRevalidateShares) === undefined
  ) {
    return { store: false, reason: 'authorization' }
  }
  if (facts.bodyTooLarge) return { store: false, reason: 'too-large' }
  if (policy.shared) {
    // Storable, but never fresh: kept only to be revalidated on every use (section 5.2.2.4).
    if (cc.has('no-cache')) return { store: false, reason: 'no-cache' }
    if (freshness.remainingMs === undefined) return { store: false, reason: 'no-freshness' }
    if (freshness.remainingMs <= 0) return { store: false, reason: 'stale' }
  }
  return { store: true, ...freshness }
}

function headerRefusal(
  facts: ResponseFacts,
  cc: Directives,
  policy: StorePolicy,
): StoreRefusal | undefined {
  if (facts.aborted) return 'aborted'
  if (facts.status === 206) return 'partial-content'
  if (!policy.statuses.has(facts.status)) return 'status'
  if (facts.headers['set-cookie'] !== undefined) return 'set-cookie'
  if (cc.has('no-store')) return 'no-store'
  if (cc.has('private')) return 'private'
  if (cc.has('no-cache') && !policy.shared) return 'no-store'
  if (cc.has('must-understand') && !UNDERSTOOD_STATUSES.has(facts.status)) return 'status'
  if (varyList(facts.headers['vary']).includes('*')) return 'vary-star'
  return undefined
}

function withoutExpires(headers: ResponseFacts['headers']): ResponseFacts['headers'] {
  const { expires: _expires, ...rest } = headers
  return rest
}

/**
 * The origin's freshness for this response: explicit lifetime (a heuristic one in shared mode,
 * for an anonymous request) less its corrected initial age (section 4.2.3).
 */
export function originFreshness(
  facts: Pick<ResponseFacts, 'status' | 'headers'>,
  cc: Directives,
  policy: Omit<StorePolicy, 'statuses'>,
): OriginFreshness {
  const { headers, status } = facts
  const { responseTime } = policy.times
  // A response to a credentialed request is shared only on its explicit word (section 3.5).
  const lifetime =
    explicitLifetime(cc, headers, true, responseTime) ??
    (policy.shared && !policy.credentialed
      ? heuristicLifetime(status, cc, headers, responseTime, policy.heuristicCapMs)
      : undefined)
  const initialAgeMs = initialAge(headers, policy.times)
  return {
    remainingMs: lifetime === undefined ? undefined : lifetime - initialAgeMs,
    initialAgeMs,
    noStale: revalidatesWhenStale(cc),
  }
}

/** `must-revalidate`, `proxy-revalidate` or `s-maxage`: never served stale (RFC 9111 4.2.4). */
export function revalidatesWhenStale(cc: Directives): boolean {
  return cc.has('must-revalidate') || cc.has('proxy-revalidate') || cc.has('s-maxage')
}

/**
 * Section 3.5, the strict way: a response to a credentialed request may be shared only when it
 * says so (`public` or `s-maxage`; `must-revalidate` too when `mustRevalidate` is set: shared
 * mode, Authorization the only credential) and gives itself a lifetime above zero;
 * `must-revalidate` otherwise, `max-age=0` or no lifetime at all mean "ask the origin every
 * time". The lifetime, in ms, or undefined when it may not be shared.
 */
export function sharedLifetime(
  cc: Directives,
  lifetime: number | undefined,
  mustRevalidate = false,
): number | undefined {
  const says =
    cc.has('public') || cc.has('s-maxage') || (mustRevalidate && cc.has('must-revalidate'))
  if (!says) return undefined
  if (cc.has('no-cache') || cc.has('no-store') || cc.has('private')) return undefined
  return lifetime !== undefined && lifetime > 0 ? lifetime : undefined
}

/**
 * Whether a stored response may answer a credentialed request: explicitly shareable and still
 * fresh by its own headers (its lifetime less the age it had when stored at `storedAt`),
 * whatever the route's ttl.
 */
export function freshForCredentials(
  headers: Readonly<Record<string, string | readonly string[]>>,
  stored: { readonly storedAt: number; readonly initialAgeMs: number },
  now: number,
): boolean {
  const cc = parseCacheControl(headers['cache-control'])
  const explicit = explicitLifetime(cc, headers, true, stored.storedAt)
  const remaining = explicit === undefined ? undefined : explicit - stored.initialAgeMs
  const lifetime = sharedLifetime(cc, remaining)
  return lifetime !== undefined && now - stored.storedAt < lifetime
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
