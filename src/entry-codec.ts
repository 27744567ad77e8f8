import {
  decodeEnvelope,
  encodeEnvelopeParts,
  type EntryKind,
  type EntryMeta,
  type EnvelopeParts,
} from './codec/envelope.js'
import type { Serializer } from './codec/serializer.js'
import { CorruptEntryError, SerializationError } from './errors.js'

/** A decoded entry: its metadata and its value. */
export interface Entry<T = unknown> extends EntryMeta {
  readonly value: T
  /** Size of the stored bytes. */
  readonly bytes: number
}

/** What a new entry needs besides its value. */
export interface EntrySpec {
  readonly createdAt: number
  readonly freshUntil: number
  readonly staleUntil: number
  readonly kind: EntryKind
  readonly tags: readonly string[]
}

/** Serializer plus envelope: values in, stored bytes out, and back. */
export class EntryCodec {
  readonly #serializer: Serializer

  constructor(serializer: Serializer) {
    this.#serializer = serializer
  }

  /** Encode an entry without its fence (the write script adds it). */
  encode(value: unknown, spec: EntrySpec): EnvelopeParts {
    const payload = spec.kind === 'pass' ? Buffer.alloc(0) : this.#serialize(value)
    return encodeEnvelopeParts({ ...spec, codec: this.#serializer.name }, payload)
  }

  /** Decode stored bytes; throws CorruptEntryError when they are not a usable entry. */
  decode<T>(bytes: Buffer): Entry<T> {
    const envelope = decodeEnvelope(bytes)
    if (envelope.codec !== this.#serializer.name) {
      throw new CorruptEntryError(`written by serializer "${envelope.codec}"`)
    }
    const value = envelope.kind === 'pass' ? undefined : this.#deserialize(envelope.payload)
    return {
      createdAt: envelope.createdAt,
      freshUntil: envelope.freshUntil,
      staleUntil: envelope.staleUntil,
      fence: envelope.fence,
      kind: envelope.kind,
      codec: envelope.codec,
      tags: envelope.tags,
      value: value as T,
      bytes: bytes.length,
    }
  }

  #serialize(value: unknown): Uint8Array {
    let out: Uint8Array | string
    try {
      out = this.#serializer.serialize(value)
    } catch (error) {
      if (error instanceof SerializationError) throw error
      throw new SerializationError((error as Error).message, { cause: error })
    }
    return typeof out === 'string' ? Buffer.from(out, 'utf8') : out
  }

  #deserialize(payload: Buffer): unknown {
    try {
      return this.#serializer.deserialize(payload)
    } catch (error) {
      if (error instanceof CorruptEntryError) throw error
      throw new CorruptEntryError('the serializer could not read it', { cause: error })
    }
  }
}
