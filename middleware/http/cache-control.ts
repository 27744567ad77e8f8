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

/**
 * The largest delta-seconds a cache needs to tell apart (RFC 9111 1.2.2): greater values,
 * however long, mean "2147483648 seconds", about 68 years.
 */
export const MAX_DELTA_SECONDS = 2 ** 31

/**
 * A directive's value as whole seconds (RFC 9111 1.2.2: digits only, quoted or not), undefined
 * when absent, and 0 when present but malformed (`-1`, `'3600'`, `1.5`, no value): a lifetime
 * that cannot be read makes the response stale (5.2.2.1), it does not vanish. Values past
 * 2^31 seconds are read as 2^31.
 */
export function seconds(directives: Directives, name: string): number | undefined {
  const value = directives.get(name)
  if (value === undefined) return undefined
  if (value === true || !/^\d+$/.test(value)) return 0
  return Math.min(Number(value), MAX_DELTA_SECONDS)
}
