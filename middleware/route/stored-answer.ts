import type { IncomingMessage, ServerResponse } from 'node:http'
import { hitLabel, staleLabel, type ResponseLabel } from './cache-status.js'
import { replay } from './replay.js'
import type { RouteScope } from './route-context.js'
import { timesOf, type Found } from './peek.js'
import type { RouteSettings } from './settings.js'
import { headerText } from './stored-response.js'
import { parseCacheControl } from '../http/cache-control.js'
import { asksFresher, satisfies, type ClientDirectives } from '../http/request-directives.js'
import { revalidatesWhenStale } from '../http/storability.js'

/**
 * How a stored response answers a request with these directives, or undefined when it may not:
 * fresh enough for them; stale within their `max-stale` when its own directives allow stale
 * serving (not `must-revalidate`, `proxy-revalidate`, `s-maxage`, `no-cache`); or stale within
 * the route's `staleWhileRevalidate`, as any request would get it, unless they ask for fresher.
 */
export function storedAnswer(
  settings: RouteSettings,
  found: Found,
  directives: ClientDirectives,
  now: number,
): ResponseLabel | undefined {
  const { freshUntil } = found
  const fresh = freshUntil > now
  if (satisfies(directives, timesOf(found), now)) {
    if (fresh) return hitLabel(freshUntil)
    const cc = parseCacheControl(headerText(found.response.headers['cache-control']))
    if (!revalidatesWhenStale(cc) && !cc.has('no-cache')) return staleLabel(freshUntil)
  }
  const swrMs = settings.staleWhileRevalidateMs
  if (fresh || asksFresher(directives) || swrMs <= 0) return undefined
  return now < freshUntil + swrMs ? staleLabel(freshUntil) : undefined
}

/** Send a stored response a request's directives accepted; a stale one is counted (`client`). */
export function replayAccepted(
  scope: RouteScope,
  exchange: { readonly req: IncomingMessage; readonly res: ServerResponse },
  found: Found,
  label: ResponseLabel,
): void {
  if (label.xCache === 'STALE') {
    scope.cache.emit('cache:stale', { namespace: scope.settings.namespace, reason: 'client' })
  }
  replay(exchange.req, exchange.res, found.response, label)
}
