import { hitLabel } from './cache-status.js'
import { replay } from './replay.js'
import type { Exchange, Route, RouteScope } from './route-context.js'
import { headerText, isRouteValue, type StoredResponse } from './stored-response.js'
import { preferredLanguage } from '../http/selecting.js'

/**
 * `acceptLanguage: 'rfc'`: selecting a stored variant by its `Content-Language` (RFC 9111 4.1
 * lets a cache use what it knows of a field's semantics). A response that varies on
 * Accept-Language alone and names one language is indexed under that language; a request whose
 * one preferred language (RFC 9110 12.5.4) has a stored variant gets it, whatever the rest of
 * its list.
 */

/** Where the variant in language `tag` of the responses under `baseKey` is named. */
export function languageKey(baseKey: string, tag: string): string {
  return JSON.stringify(['language', baseKey, tag])
}

/** The one language a stored response names (`Content-Language`), lower-cased; else undefined. */
export function contentLanguage(response: Pick<StoredResponse, 'headers'>): string | undefined {
  const value = headerText(response.headers['content-language'])?.trim()
  if (value === undefined || !LANGUAGE_TAG.test(value)) return undefined
  return value.toLowerCase()
}

/** Whether this route selects variants by language: `'rfc'`, and Accept-Language alone varied. */
export function selectsByLanguage(scope: RouteScope, names: readonly string[]): boolean {
  return scope.settings.rfcLanguage && names.length === 1 && names[0] === 'accept-language'
}

/**
 * Index a variant just stored under its language (same lifetime and tags as the variant), when
 * the route selects by language and the response names exactly one.
 */
export async function indexLanguage(
  scope: RouteScope,
  at: { readonly baseKey: string; readonly names: readonly string[]; readonly variantKey: string },
  response: Pick<StoredResponse, 'headers'>,
  options: { readonly ttl?: number | undefined; readonly tags: readonly string[] },
): Promise<void> {
  const tag = contentLanguage(response)
  if (tag === undefined || !selectsByLanguage(scope, at.names)) return
  await scope.cache.set(languageKey(at.baseKey, tag), at.variantKey, {
    namespace: scope.settings.namespace,
    ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
    tags: options.tags,
  })
}

/**
 * Answer from the stored variant in the request's one preferred language, when there is one
 * other than its own variant (`ownKey`) and it still names that language; false otherwise.
 */
export async function servedInPreferredLanguage(
  route: Route,
  ex: Exchange,
  at: { readonly baseKey: string; readonly names: readonly string[]; readonly ownKey: string },
): Promise<boolean> {
  if (!selectsByLanguage(route, at.names)) return false
  const preferred = preferredLanguage(headerText(ex.req.headers['accept-language']))
  if (preferred === undefined) return false
  const namespace = route.settings.namespace
  const target = await route.cache.get(languageKey(at.baseKey, preferred), { namespace })
  if (typeof target !== 'string' || target === at.ownKey) return false
  const entry = await route.cache.getEntry(target, { namespace })
  const value = entry?.value
  if (entry === undefined || !isRouteValue(value) || value.kind !== 'response') return false
  if (!value.stored || contentLanguage(value) !== preferred) return false
  replay(ex.req, ex.res, value, hitLabel(entry.freshUntil))
  return true
}

/** One language tag (RFC 5646 shape, as Accept-Language ranges are read). */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/
