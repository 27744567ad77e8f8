import type { StoredTimes } from '../http/request-directives.js'
import type { RouteRequest, UrlParts } from './key.js'
import { keyFor } from './origin.js'
import type { RouteScope } from './route-context.js'
import { isRouteValue, type StoredResponse } from './stored-response.js'

/**
 * Read a route's stored response without computing anything (HEAD, credentialed requests,
 * request directives): the key's entry, following a vary pointer to the request's variant.
 */

/** A stored response found by {@link peek}: when its freshness ends, the key it is under. */
export interface Found {
  readonly response: StoredResponse
  readonly freshUntil: number
  /** The route key, or the variant's key when a vary pointer was followed. */
  readonly key: string
  /** Header names `key` includes (the route's `vary`, or the pointer's). */
  readonly keyVary: readonly string[]
  /** Whether a vary pointer was followed. */
  readonly variant: boolean
}

/**
 * The stored response for a request; `stale` also returns one past its freshness but within
 * its stale windows.
 */
export async function peek(
  scope: RouteScope,
  req: RouteRequest,
  at: { readonly parts: UrlParts; readonly key: string },
  { stale = false }: { readonly stale?: boolean } = {},
): Promise<Found | undefined> {
  const { cache, settings } = scope
  const namespace = settings.namespace
  const entry = await cache.getEntry(at.key, { namespace, stale })
  const first = entry?.value
  if (!isRouteValue(first)) return undefined
  if (first.kind === 'response') {
    if (!first.stored) return undefined
    const freshUntil = entry?.freshUntil ?? 0
    return { response: first, freshUntil, key: at.key, keyVary: settings.vary, variant: false }
  }
  const key = keyFor({ settings, req, parts: at.parts }, first.names)
  const variant = await cache.getEntry(key, { namespace, stale })
  const value = variant?.value
  return isRouteValue(value) && value.kind === 'response' && value.stored
    ? {
        response: value,
        freshUntil: variant?.freshUntil ?? 0,
        key,
        keyVary: first.names,
        variant: true,
      }
    : undefined
}

/** The times request directives are checked against. */
export function timesOf(found: Found): StoredTimes {
  return {
    storedAt: found.response.storedAt,
    initialAgeMs: found.response.initialAgeMs ?? 0,
    freshUntil: found.freshUntil,
  }
}
