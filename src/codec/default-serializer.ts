import type { Serializer } from './serializer.js'
import { decodeTypedJson } from './typed-json-decode.js'
import { encodeTypedJson } from './typed-json-encode.js'

/**
 * The default serializer: JSON where possible, tagged JSON plus raw bytes where not. Round-trips
 * JSON values, `undefined`, `NaN`, `±Infinity`, `-0`, `BigInt`, `Date`, `Map`, `Set`, `Buffer`
 * and `Uint8Array`, nested. Other class instances are written as JSON would write them (their
 * own enumerable properties, or their `toJSON()`); functions, symbols and cycles are rejected
 * with a SerializationError.
 */
export const typedJsonSerializer: Serializer = Object.freeze({
  name: 'tj1',
  serialize: encodeTypedJson,
  deserialize: decodeTypedJson,
})
