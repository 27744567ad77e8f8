import type { IncomingHttpHeaders } from 'node:http'
import type { RouteSettings } from './settings.js'

/** A request credential that makes a response personal. */
export type Credential = 'authorization' | 'cookie'

/**
 * Which credential makes a request personal for a route: Authorization, unless the route's key
 * holds it; Cookie, unless the key holds it or every cookie is one the route declared
 * non-personal (`ignoreCookies`). Such a request is never served from, nor stored into, a
 * shared entry (Varnish's builtin rule, RFC 9111 3.5), except by an explicitly shareable and
 * fresh response.
 */
export function credentialOf(
  headers: IncomingHttpHeaders,
  settings: Pick<RouteSettings, 'keysAuthorization' | 'keysCookie' | 'ignoreCookies'>,
): Credential | undefined {
  if (headers.authorization !== undefined && !settings.keysAuthorization) return 'authorization'
  const cookie = headers.cookie
  if (cookie === undefined || settings.keysCookie) return undefined
  return hasPersonalCookie(cookie, settings.ignoreCookies) ? 'cookie' : undefined
}

/**
 * Whether `Authorization` is the request's only credential (RFC 9111 3.5 is about it alone;
 * a personal Cookie keeps herdlock's stricter rule).
 */
export function authorizationOnly(
  headers: IncomingHttpHeaders,
  settings: Pick<RouteSettings, 'keysAuthorization' | 'keysCookie' | 'ignoreCookies'>,
): boolean {
  return (
    credentialOf(headers, settings) === 'authorization' &&
    credentialOf({ ...headers, authorization: undefined }, settings) === undefined
  )
}

/** Whether a Cookie header holds a cookie whose name is not in `ignored`. */
function hasPersonalCookie(header: string, ignored: readonly (string | RegExp)[]): boolean {
  for (const pair of header.split(';')) {
    const text = pair.trim()
    if (text === '') continue
    const equals = text.indexOf('=')
    // A cookie without "=" is a value with an empty name (RFC 6265bis 5.6): never ignorable.
    const name = equals < 0 ? '' : text.slice(0, equals).trim()
    if (!ignored.some((rule) => (typeof rule === 'string' ? rule === name : rule.test(name)))) {
      return true
    }
  }
  return false
}
