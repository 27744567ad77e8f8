/**
 * A deterministic string for function arguments, for keys derived from them: objects with their
 * keys sorted, and the types JSON cannot tell apart kept apart (`1` and `'1'`, `undefined` and
 * `null`, Dates, Maps, Sets, BigInts). Long results are hashed by the keyspace.
 */
export function stableKey(value: unknown): string {
  return encode(value, new Set())
}

function encode(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value)
    case 'bigint':
      return `${value}n`
    case 'boolean':
      return String(value)
    case 'undefined':
      return 'undefined'
    case 'object':
      return value === null ? 'null' : encodeObject(value, seen)
    default:
      throw new TypeError(`cannot derive a cache key from a ${typeof value} argument`)
  }
}

function encodeObject(value: object, seen: Set<object>): string {
  if (seen.has(value)) throw new TypeError('cannot derive a cache key from a circular argument')
  seen.add(value)
  try {
    if (Array.isArray(value))
      return `[${value.map((item: unknown) => encode(item, seen)).join(',')}]`
    if (value instanceof Date) return `Date(${value.getTime()})`
    if (value instanceof Map) {
      const entries = [...value].map(
        ([k, v]: [unknown, unknown]) => `${encode(k, seen)}=>${encode(v, seen)}`,
      )
      return `Map{${entries.sort().join(',')}}`
    }
    if (value instanceof Set) {
      return `Set{${[...value]
        .map((item: unknown) => encode(item, seen))
        .sort()
        .join(',')}}`
    }
    if (value instanceof Uint8Array) return `Bytes(${Buffer.from(value).toString('base64')})`
    const record = value as Record<string, unknown>
    const keys = Object.keys(record).sort()
    return `{${keys.map((key) => `${JSON.stringify(key)}:${encode(record[key], seen)}`).join(',')}}`
  } finally {
    seen.delete(value)
  }
}
