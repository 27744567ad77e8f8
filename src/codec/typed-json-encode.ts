import { SerializationError } from '../errors.js'

/**
 * Encoding half of the default serializer ("typed JSON").
 *
 * Plain JSON data is written as JSON text behind the marker byte `J`, so the common case decodes
 * with a bare `JSON.parse`. Anything JSON cannot represent exactly switches the whole value to
 * the tagged form, marker `T`: a 4-byte length, the JSON text with tagged objects
 * (`{"$t": <type>, ...}`), then the raw bytes of every binary value. In the tagged form, user
 * keys spelled `$t`, `$$t`, ... gain one more `$` so they can never be read as a tag.
 */

/** Marker byte of plain JSON payloads. */
export const PLAIN = 0x4a // 'J'
/** Marker byte of tagged payloads. */
export const TAGGED = 0x54 // 'T'

type Tree = null | boolean | number | string | Tree[] | { [key: string]: Tree }

interface EncodeState {
  tagged: boolean
  /** A '$t'-like key was written unescaped before the value turned out to need tags. */
  unescapedTagKey: boolean
  segments: Uint8Array[]
  offset: number
  ancestors: Set<object>
}

const TAG_KEY = /^\$+t$/

/** Serialize a value to the typed-JSON format. */
export function encodeTypedJson(value: unknown): Buffer {
  let state = newState(false)
  let tree = encodeValue(value, state)
  if (!state.tagged) {
    return Buffer.concat([Buffer.of(PLAIN), Buffer.from(JSON.stringify(tree), 'utf8')])
  }
  if (state.unescapedTagKey) {
    // Tagging was discovered after a '$t'-like key had been written as is: encode again with
    // tagging (and therefore escaping) on from the start.
    state = newState(true)
    tree = encodeValue(value, state)
  }
  const json = Buffer.from(JSON.stringify(tree), 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32BE(json.length)
  return Buffer.concat([Buffer.of(TAGGED), length, json, ...state.segments])
}

function newState(tagged: boolean): EncodeState {
  return { tagged, unescapedTagKey: false, segments: [], offset: 0, ancestors: new Set() }
}

function encodeValue(value: unknown, state: EncodeState): Tree {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return encodeNumber(value, state)
    case 'bigint':
      return tag(state, { $t: 'i', v: value.toString() })
    case 'undefined':
      return tag(state, { $t: 'u' })
    case 'object':
      return value === null ? null : encodeObject(value, state)
    default:
      throw new SerializationError(`${typeof value} values are not supported`)
  }
}

function tag(state: EncodeState, tree: { [key: string]: Tree }): Tree {
  state.tagged = true
  return tree
}

function encodeNumber(value: number, state: EncodeState): Tree {
  if (Number.isFinite(value) && !Object.is(value, -0)) return value
  const text = Object.is(value, -0) ? '-0' : String(value)
  return tag(state, { $t: 'n', v: text })
}

function encodeObject(value: object, state: EncodeState): Tree {
  if (state.ancestors.has(value)) throw new SerializationError('circular reference')
  state.ancestors.add(value)
  try {
    return encodeKnownObject(value, state)
  } finally {
    state.ancestors.delete(value)
  }
}

function encodeKnownObject(value: object, state: EncodeState): Tree {
  if (Array.isArray(value)) return value.map((item: unknown) => encodeValue(item, state))
  if (value instanceof Date) {
    const time = value.getTime()
    return tag(state, { $t: 'd', v: Number.isNaN(time) ? null : value.toISOString() })
  }
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]: [unknown, unknown]) => [
      encodeValue(k, state),
      encodeValue(v, state),
    ])
    return tag(state, { $t: 'm', v: entries })
  }
  if (value instanceof Set) {
    return tag(state, { $t: 's', v: [...value].map((item: unknown) => encodeValue(item, state)) })
  }
  if (value instanceof Uint8Array) return encodeBytes(value, state)
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw new SerializationError(`${value.constructor.name} is not supported; use a Uint8Array`)
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') return encodeValue(toJSON.call(value), state)
  return encodePlainObject(value as Record<string, unknown>, state)
}

function encodeBytes(value: Uint8Array, state: EncodeState): Tree {
  const tree = { $t: Buffer.isBuffer(value) ? 'b' : 'a', o: state.offset, n: value.byteLength }
  state.segments.push(value)
  state.offset += value.byteLength
  return tag(state, tree)
}

function encodePlainObject(value: Record<string, unknown>, state: EncodeState): Tree {
  const out: { [key: string]: Tree } = {}
  for (const key of Object.keys(value)) {
    const item = value[key]
    if (typeof item === 'function' || typeof item === 'symbol') {
      throw new SerializationError(`property "${key}" holds a ${typeof item}`)
    }
    let outKey = key
    if (TAG_KEY.test(key)) {
      if (state.tagged) outKey = `$${key}`
      else state.unescapedTagKey = true
    }
    // defineProperty, not assignment: a key named "__proto__" must stay an own data property.
    Object.defineProperty(out, outKey, {
      value: encodeValue(item, state),
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return out
}
