import { gatewayTimeout } from './gateway-timeout.js'
import { lookup } from './lookup.js'
import { bypass } from './non-collapsing.js'
import { peek } from './peek.js'
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
  if (found !== undefined && asksFresher(directives)) {
    const { keyVary, variant } = found
    return lookup(route, ex, { key: found.key, keyVary, variant, forced: true })
  }
  return lookup(route, ex, { key, keyVary: route.settings.vary, variant: false })
}
