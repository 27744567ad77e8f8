/**
 * Redis glob patterns (as SCAN MATCH reads them) as regular expressions, for the memory store:
 * `*`, `?`, `[abc]`, `[^a]`, `[a-z]`, and `\x` for a literal x.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '^'
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? ''
    if (char === '\\' && i + 1 < pattern.length) {
      source += escapeRegExp(pattern[++i] ?? '')
    } else if (char === '*') {
      source += '[\\s\\S]*'
    } else if (char === '?') {
      source += '[\\s\\S]'
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 2)
      if (end < 0) {
        source += '\\['
        continue
      }
      source += characterClass(pattern.slice(i + 1, end))
      i = end
    } else {
      source += escapeRegExp(char)
    }
  }
  return new RegExp(`${source}$`)
}

function characterClass(body: string): string {
  const negated = body.startsWith('^')
  const members = (negated ? body.slice(1) : body)
    .replace(/\\(.)/g, '$1')
    .replace(/[\\\]^[]/g, (c) => `\\${c}`)
  return `[${negated ? '^' : ''}${members}]`
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, (c) => `\\${c}`)
}
