import type { RouteBypassReason } from './cache-status.js'
import { credentialOf, type Credential } from './credentials.js'
import { urlParts, type RouteRequest, type UrlParts } from './key.js'
import { keyFor } from './origin.js'
import { permittedDirectives } from './directive-permissions.js'
import type { ClientDirectives } from '../http/request-directives.js'
import type { RouteSettings } from './settings.js'

/** What kind of request this is for the cache, decided once (predicates run once). */
export type RequestPlan =
  | {
      readonly kind: 'get'
      readonly parts: UrlParts
      readonly key: string
      readonly refresh: boolean
      readonly started: number
      /** Request directives the route lets this client use (`requestDirectives`). */
      readonly directives: ClientDirectives | undefined
    }
  | {
      readonly kind: 'head'
      readonly parts: UrlParts
      readonly key: string
      readonly credential: Credential | undefined
      readonly directives: ClientDirectives | undefined
    }
  | {
      readonly kind: 'credentialed'
      readonly parts: UrlParts
      readonly key: string
      readonly credential: Credential
      readonly directives: ClientDirectives | undefined
    }
  | { readonly kind: 'unsafe' }
  | { readonly kind: 'bypass'; readonly reason: RouteBypassReason }

/** Safe methods other than GET and HEAD (RFC 9110 9.2.1, WebDAV): never cached, never invalidate. */
const SAFE_METHODS = new Set(['OPTIONS', 'TRACE', 'PROPFIND', 'REPORT', 'SEARCH', 'QUERY'])

/** Decide how the cache handles a request: its kind and, for GET and HEAD, its key. */
export function planRequest(settings: RouteSettings, req: RouteRequest): RequestPlan {
  // Express gives every request a new prototype, so each property read here is a slow lookup:
  // read each once.
  const method = req.method
  if (method !== 'GET' && method !== 'HEAD') {
    return SAFE_METHODS.has(method ?? '') ? BYPASS_METHOD : UNSAFE
  }
  if (settings.bypass?.(req) === true) return BYPASS_CLIENT
  const headers = req.headers
  // Preconditions are for the origin (a 412 is that client's answer alone): the request goes
  // there by itself, neither led nor stored, and leaves the key as it was.
  if (headers['if-match'] !== undefined || headers['if-unmodified-since'] !== undefined) {
    return BYPASS_PRECONDITION
  }
  const parts = urlParts(req)
  // A Host the handler could misread (userinfo, a path, two ports) is never cached.
  if (!parts.hostValid) return { kind: 'bypass', reason: 'invalid-host' }
  const key = keyFor({ settings, req, parts }, settings.vary)
  const credential = credentialOf(headers, settings)
  const permissions = settings.requestDirectives
  const directives = permissions === undefined ? undefined : permittedDirectives(permissions, req)
  if (method === 'HEAD') return { kind: 'head', parts, key, credential, directives }
  if (credential !== undefined) return { kind: 'credentialed', parts, key, credential, directives }
  const refresh = settings.refresh?.(req) === true
  return { kind: 'get', parts, key, refresh, started: performance.now(), directives }
}

const UNSAFE: RequestPlan = { kind: 'unsafe' }
const BYPASS_METHOD: RequestPlan = { kind: 'bypass', reason: 'method' }
const BYPASS_CLIENT: RequestPlan = { kind: 'bypass', reason: 'client' }
const BYPASS_PRECONDITION: RequestPlan = { kind: 'bypass', reason: 'precondition' }
