/**
 * How values become bytes. The default serializer round-trips JSON values plus `undefined`,
 * `NaN`, `±Infinity`, `-0`, `BigInt`, `Date`, `Map`, `Set`, `Buffer` and `Uint8Array`, nested,
 * and stores binary data as raw bytes (no base64).
 */
export interface Serializer {
  /**
   * Identifies the format. It is written into every entry, and entries written with another
   * name are treated as misses, so changing serializers never feeds one format to the other.
   * Letters, digits and `-` only.
   */
  readonly name: string
  /** Turn a value into bytes. Throw for values it cannot represent. */
  serialize(value: unknown): Uint8Array | string
  /** Turn bytes produced by `serialize` back into the value. Must never execute code. */
  deserialize(bytes: Buffer): unknown
}
