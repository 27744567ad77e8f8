import { hitLabel, staleLabel } from './cache-status.js'
import { gatewayTimeout } from './gateway-timeout.js'
import { lookup } from './lookup.js'
import { bypass } from './non-collapsing.js'
import { peek, timesOf } from './peek.js'
import { replay } from './replay.js'
import type { Exchange, Route } from './route-context.js'
import { asksFresher, satisfies, type ClientDirectives } from '../http/request-directives.js'

/**
 * A GET whose client sent Cache-Control request directives the route lets it use
 * (`requestDirectives`): the stored response (fresh, or stale within the entry's own stale
 * windows) answers when the directives accept it; otherwise `only-if-cached` gets a 504,
 * `no-store` goes to the origin alone and unstored, and `no-cache`/`max-age`/`min-fresh` replace
 * the entry with the origin's response, which other requests share as for any miss.
 */
export async function serveDirected(
  route: Route,
  ex: Exchange,
  at: { readonly key: string; readonly directives: ClientDirectives },
): Promise<void> {
  const { directives, key } = at
  const found = await peek(route, ex.req, { parts: ex.parts, key }, true)
  const now = Date.now()
  if (found !== undefined && satisfies(directives, timesOf(found), now)) {
    const fresh = found.freshUntil > now
    return replay(
      ex.req,
      ex.res,
      found.response,
      fresh ? hitLabel(found.freshUntil) : staleLabel(found.freshUntil),
    )
  }
  if (directives.onlyIfCached) return gatewayTimeout(ex.res)
  if (directives.noStore) return bypass(route, ex.res, ex.next, 'no-store')
  // Too old for this client: drop it (the variant only, when it is one), so the lookup goes to
  // the origin (conditionally when a validator was kept) instead of serving it stale.
  if (found !== undefined && asksFresher(directives)) {
    await route.cache.delete(found.key, { namespace: route.settings.namespace })
  }
  return lookup(route, ex, key, route.settings.vary, false)
}
