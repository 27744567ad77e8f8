/**
 * Cache-Control parsing (RFC 9111 section 5.2): directive names are case-insensitive, values
 * may be quoted, unknown directives are kept. Only what a shared cache needs is interpreted.
 */

/** Parsed directives: name (lower case) to value (`true` when the directive has none). */
export type Directives = ReadonlyMap<string, string | true>

const DIRECTIVE = /\s*([^\s=,]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?\s*(?:,|$)/gy

/** Parse a Cache-Control header value (or several, joined). */
export function parseCacheControl(header: string | readonly string[] | undefined): Directives {
  const directives = new Map<string, string | true>()
  if (header === undefined) return directives
  const text = typeof header === 'string' ? header : header.join(',')
  DIRECTIVE.lastIndex = 0
  let match: RegExpExecArray | null
  while (DIRECTIVE.lastIndex < text.length && (match = DIRECTIVE.exec(text)) !== null) {
    const [, name = '', quoted, bare] = match
    if (name === '') break
    const key = name.toLowerCase()
    // RFC 9111 4.2.1: with duplicate directives a cache should use the first (most restrictive
    // for max-age would be the minimum; we keep the first to stay predictable).
    if (!directives.has(key)) directives.set(key, quoted?.replace(/\\(.)/g, '$1') ?? bare ?? true)
  }
  return directives
}

/** A directive's value as whole seconds, or undefined when absent or malformed. */
export function seconds(directives: Directives, name: string): number | undefined {
  const value = directives.get(name)
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined
  return Number(value)
}
