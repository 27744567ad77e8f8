import { hitLabel } from './cache-status.js'
import { replay } from './replay.js'
import type { Exchange, Route, RouteScope } from './route-context.js'
import {
  headerText,
  isRouteValue,
  type StoredResponse,
  type VaryPointer,
} from './stored-response.js'
import { languagePreferences, listMembers, preferredLanguage } from '../http/selecting.js'

/**
 * `acceptLanguage: 'rfc'`: selecting a stored variant by its `Content-Language` (RFC 9111 4.1
 * lets a cache use what it knows of a field's semantics). The vary pointer a response that varies
 * on Accept-Language alone creates names that response's variant under its one language, when
 * the request that produced it accepted that language; a request whose one preferred language
 * (RFC 9110 12.5.4) is named there gets that variant, whatever the rest of its list. The index
 * lives in the pointer, which cacheFn writes under its fence: it names only the variant written
 * with it, never one from before an invalidation.
 */

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
 * The languages a new pointer names: the variant stored with it, under its language, when it is
 * a 200 in one language that the request that produced it accepted by name (a range matching it,
 * weight above 0, not `*`): an origin's fallback page for a language it lacks, or an error in
 * some language, is never offered to the requests that prefer that language.
 */
export function pointerLanguages(
  scope: RouteScope,
  names: readonly string[],
  variant: { readonly key: string; readonly response: StoredResponse },
  acceptLanguage: string | readonly string[] | undefined,
): Pick<VaryPointer, 'languages'> {
  const tag = contentLanguage(variant.response)
  if (tag === undefined || variant.response.status !== 200) return {}
  if (!selectsByLanguage(scope, names) || !acceptedByName(headerText(acceptLanguage), tag)) {
    return {}
  }
  return { languages: { [tag]: variant.key } }
}

/**
 * Answer from the variant the pointer names in the request's one preferred language, when it is
 * not the request's own (`ownKey`) and still a stored response in that language; false otherwise.
 */
export async function servedInPreferredLanguage(
  route: Route,
  ex: Exchange,
  at: { readonly pointer: VaryPointer; readonly ownKey: string },
): Promise<boolean> {
  const { languages } = at.pointer
  if (languages === undefined || !selectsByLanguage(route, at.pointer.names)) return false
  const preferred = preferredLanguage(headerText(ex.req.headers['accept-language']))
  const target = preferred === undefined ? undefined : languages[preferred]
  if (target === undefined || target === at.ownKey) return false
  const entry = await route.cache.getEntry(target, { namespace: route.settings.namespace })
  const value = entry?.value
  if (entry === undefined || !isRouteValue(value) || value.kind !== 'response') return false
  if (!value.stored || contentLanguage(value) !== preferred) return false
  replay(ex.req, ex.res, value, hitLabel(entry.freshUntil))
  return true
}

/** Whether an Accept-Language value names `tag` (or a prefix of it) with a weight above 0. */
function acceptedByName(value: string | undefined, tag: string): boolean {
  const read = value === undefined ? undefined : languagePreferences(listMembers(value))
  return (read ?? []).some(
    ({ range, q }) => q > 0 && range !== '*' && (tag === range || tag.startsWith(`${range}-`)),
  )
}

/** One language tag (RFC 5646 shape, as Accept-Language ranges are read). */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/
