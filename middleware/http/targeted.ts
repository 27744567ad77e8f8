import { parseCacheControl, type Directives } from './cache-control.js'

/**
 * Targeted cache control (RFC 9213, and the Edge Architecture's `Surrogate-Control`): fields
 * that speak to herdlock alone, so a handler can give the cache a policy without changing what
 * browsers and other caches see. The first valid, non-empty one replaces `Cache-Control` and
 * `Expires` for the cache's decisions (RFC 9213 2.1).
 */

/** herdlock's own targeted field, never sent to clients. Cache-Control syntax. */
export const HERDLOCK_FIELD = 'herdlock-cache-control'

/** The device token herdlock answers to in `Surrogate-Control` targets (`max-age=60;herdlock`). */
export const SURROGATE_TOKEN = 'herdlock'

/** What herdlock announces in `Surrogate-Capability` (shared mode). */
export const SURROGATE_CAPABILITY = `${SURROGATE_TOKEN}="Surrogate/1.0"`

type Headers = Readonly<Record<string, string | readonly string[]>>

/** The directives that decide for the cache, and whether they came from a targeted field. */
export interface GoverningDirectives {
  readonly cc: Directives
  readonly targeted: boolean
}

/**
 * The directives that govern storing and freshness: `Herdlock-Cache-Control`, then (with
 * `surrogate`) `Surrogate-Control`, then `Cache-Control`.
 */
export function governingDirectives(headers: Headers, surrogate: boolean): GoverningDirectives {
  const own = parseCacheControl(headers[HERDLOCK_FIELD])
  if (own.size > 0) return { cc: own, targeted: true }
  if (surrogate) {
    const targeted = surrogateDirectives(headers['surrogate-control'], SURROGATE_TOKEN)
    if (targeted.size > 0) return { cc: targeted, targeted: true }
  }
  return { cc: parseCacheControl(headers['cache-control']), targeted: false }
}

/**
 * `Surrogate-Control` directives for one device token: those targeted at it (`max-age=60;token`)
 * first, then those targeted at no one; directives for other tokens are left out.
 */
export function surrogateDirectives(
  header: string | readonly string[] | undefined,
  token: string,
): Directives {
  if (header === undefined) return new Map()
  const text = typeof header === 'string' ? header : header.join(',')
  const mine: string[] = []
  const everyone: string[] = []
  for (const item of splitList(text)) {
    const at = item.lastIndexOf(';')
    if (at < 0 || item.lastIndexOf('"') > at) everyone.push(item)
    else if (
      item
        .slice(at + 1)
        .trim()
        .toLowerCase() === token
    )
      mine.push(item.slice(0, at))
  }
  return parseCacheControl([...mine, ...everyone].join(','))
}

/** Items of a comma-separated list (commas inside quoted strings belong to the item). */
function splitList(text: string): string[] {
  return (text.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g) ?? [])
    .map((item) => item.trim())
    .filter((item) => item !== '')
}
