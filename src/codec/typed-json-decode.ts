import { CorruptEntryError } from '../errors.js'
import { PLAIN, TAGGED } from './typed-json-encode.js'

/**
 * Decoding half of the default serializer. It only ever calls `JSON.parse` and constructs the
 * few known types; it never evaluates code, and keys such as `__proto__` stay plain own
 * properties (JSON.parse defines them as data properties, and rebuilt objects use
 * defineProperty).
 */

const ESCAPED_TAG_KEY = /^\$\$+t$/
// JSON.parse deletes a property whose reviver returns undefined, so undefined travels up as
// this marker and each container swaps it back in place once its children are revived.
const UNDEFINED = Symbol('undefined')

/** Deserialize a typed-JSON payload. Throws CorruptEntryError on anything malformed. */
export function decodeTypedJson(bytes: Buffer): unknown {
  const marker = bytes[0]
  try {
    if (marker === PLAIN) return JSON.parse(bytes.toString('utf8', 1)) as unknown
    if (marker === TAGGED) return decodeTagged(bytes)
  } catch (error) {
    if (error instanceof CorruptEntryError) throw error
    throw new CorruptEntryError('payload is not valid typed JSON', { cause: error })
  }
  throw new CorruptEntryError('unknown payload format')
}

function decodeTagged(bytes: Buffer): unknown {
  if (bytes.length < 5) throw new CorruptEntryError('truncated payload')
  const jsonLength = bytes.readUInt32BE(1)
  const jsonEnd = 5 + jsonLength
  if (jsonEnd > bytes.length) throw new CorruptEntryError('truncated payload')
  const binary = bytes.subarray(jsonEnd)
  const result = JSON.parse(bytes.toString('utf8', 5, jsonEnd), (_key, value: unknown) => {
    if (value === null || typeof value !== 'object') return value
    if (Array.isArray(value)) return restoreUndefined(value as unknown[])
    const record = value as Record<string, unknown>
    if (Object.hasOwn(record, '$t')) return reviveTag(record, binary) ?? UNDEFINED
    return unescapeKeys(restoreUndefined(record))
  }) as unknown
  return result === UNDEFINED ? undefined : result
}

function restoreUndefined<T extends object>(container: T): T {
  const record = container as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (record[key] === UNDEFINED) record[key] = undefined
  }
  return container
}

function reviveTag(tagged: Record<string, unknown>, binary: Buffer): unknown {
  const v = tagged['v']
  switch (tagged['$t']) {
    case 'u':
      return undefined
    case 'n':
      return reviveNumber(v)
    case 'i':
      if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw bad('bigint')
      return BigInt(v)
    case 'd':
      if (v !== null && typeof v !== 'string') throw bad('date')
      return new Date(v === null ? Number.NaN : v)
    case 'm':
      if (!Array.isArray(v) || !v.every(isPair)) throw bad('map')
      return new Map(v)
    case 's':
      if (!Array.isArray(v)) throw bad('set')
      return new Set(v)
    case 'b':
    case 'a':
      return reviveBytes(tagged, binary)
    default:
      throw bad('tag')
  }
}

function isPair(entry: unknown): entry is [unknown, unknown] {
  return Array.isArray(entry) && entry.length === 2
}

function reviveNumber(v: unknown): number {
  switch (v) {
    case 'NaN':
      return Number.NaN
    case 'Infinity':
      return Number.POSITIVE_INFINITY
    case '-Infinity':
      return Number.NEGATIVE_INFINITY
    case '-0':
      return -0
    default:
      throw bad('number')
  }
}

function reviveBytes(tagged: Record<string, unknown>, binary: Buffer): Uint8Array {
  const offset = tagged['o']
  const length = tagged['n']
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) throw bad('bytes')
  const start = offset as number
  const end = start + (length as number)
  if (start < 0 || end < start || end > binary.length) throw bad('bytes')
  // Copy, so the value does not pin the whole payload in memory.
  const copy = Buffer.from(binary.subarray(start, end))
  return tagged['$t'] === 'b' ? copy : new Uint8Array(copy.buffer, copy.byteOffset, copy.length)
}

/** Undo the encoder's escaping of user keys spelled `$$t`, `$$$t`, ... */
function unescapeKeys(record: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(record)
  if (!keys.some((key) => ESCAPED_TAG_KEY.test(key))) return record
  const out: Record<string, unknown> = {}
  for (const key of keys) {
    const name = ESCAPED_TAG_KEY.test(key) ? key.slice(1) : key
    Object.defineProperty(out, name, {
      value: record[key],
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}

function bad(what: string): CorruptEntryError {
  return new CorruptEntryError(`malformed ${what} in tagged payload`)
}
