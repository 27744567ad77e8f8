import { gatewayTimeout } from './gateway-timeout.js'
import { lookup, type LookupTarget } from './lookup.js'
import { bypass } from './non-collapsing.js'
import { peek, type Found } from './peek.js'
import { replayAccepted, storedAnswer } from './stored-answer.js'
import type { Exchange, Route } from './route-context.js'
import { asksFresher, type ClientDirectives } from '../http/request-directives.js'

/**
 * A GET whose client sent Cache-Control request directives the route lets it use
 * (`requestDirectives`). The stored response answers when the directives accept it, or when it
 * is what a request without them would get (stale within `staleWhileRevalidate`, unless the
 * client asks for fresher). Otherwise `only-if-cached` gets a 504, `no-store` goes to the origin
 * alone and unstored, `no-cache`/`max-age`/`min-fresh` make the origin replace the entry (kept
 * meanwhile, and in reserve for a 5xx), and anything else is an ordinary lookup.
 */
export async function serveDirected(
  route: Route,
  ex: Exchange,
  at: { readonly key: string; readonly directives: ClientDirectives },
): Promise<void> {
  const { directives, key } = at
  const found = await peek(route, ex.req, { parts: ex.parts, key }, { stale: true })
  const label =
    found === undefined ? undefined : storedAnswer(route.settings, found, directives, Date.now())
  if (found !== undefined && label !== undefined) return replayAccepted(route, ex, found, label)
  if (directives.onlyIfCached) return gatewayTimeout(ex.res)
  if (directives.noStore) return bypass(route, ex.res, ex.next, 'no-store')
  if (found !== undefined && asksFresher(directives)) return lookup(route, ex, forcedAt(found))
  return lookup(route, ex, { key, keyVary: route.settings.vary, variant: false, exact: true })
}

/**
 * `refresh(req)`: the origin replaces the stored response this request maps to (its variant,
 * for one that varies), which stays for everyone else until then; with a `no-store` the route
 * allows, the request goes to the origin alone instead and nothing is stored.
 */
export async function refreshStored(
  route: Route,
  ex: Exchange,
  at: { readonly key: string; readonly directives: ClientDirectives | undefined },
): Promise<void> {
  if (at.directives?.noStore === true) return bypass(route, ex.res, ex.next, 'no-store')
  const found = await peek(route, ex.req, { parts: ex.parts, key: at.key }, { stale: true })
  if (found !== undefined) return lookup(route, ex, forcedAt(found))
  return lookup(route, ex, {
    key: at.key,
    keyVary: route.settings.vary,
    variant: false,
    forced: true,
  })
}

/** A forced lookup of the key a stored response was found under. */
function forcedAt(found: Found): LookupTarget {
  return { key: found.key, keyVary: found.keyVary, variant: found.variant, forced: true }
}
