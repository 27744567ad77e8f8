import {
  decodeEnvelope,
  encodeEnvelopeParts,
  type EntryKind,
  type EntryMeta,
  type EnvelopeParts,
} from '../codec/envelope.js'
import type { Serializer } from '../codec/serializer.js'
import { CorruptEntryError, SerializationError } from '../errors.js'

/** A decoded entry: its metadata and its value. */
export interface Entry<T = unknown> extends EntryMeta {
  /** The decoded value. */
  readonly value: T
  /** Size of the stored bytes. */
  readonly bytes: number
  /** Where it was read from: the in-process L1 tier or the store. */
  readonly tier: 'l1' | 'store'
}

/** An entry as the core handles it: with its serialized value, for the L1 tier. */
export interface StoredEntry<T = unknown> extends Entry<T> {
  readonly payload: Buffer
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

  /** The serializer's name, written into every entry. */
  get name(): string {
    return this.#serializer.name
  }

  /** Encode an entry without its fence (the write script adds it). */
  encode(value: unknown, spec: EntrySpec): EnvelopeParts {
    const payload = spec.kind === 'pass' ? Buffer.alloc(0) : this.#serialize(value)
    return encodeEnvelopeParts({ ...spec, codec: this.#serializer.name }, payload)
  }

  /** Decode stored bytes; throws CorruptEntryError when they are not a usable entry. */
  decode<T>(bytes: Buffer): StoredEntry<T> {
    const envelope = decodeEnvelope(bytes)
    if (envelope.codec !== this.#serializer.name) {
      throw new CorruptEntryError(`written by serializer "${envelope.codec}"`)
    }
    return this.entry<T>(envelope, envelope.payload, bytes.length, 'store')
  }

  /** Build an entry from metadata and a serialized value (store reads and L1 hits). */
  entry<T>(
    meta: EntryMeta,
    payload: Buffer,
    bytes: number,
    tier: 'l1' | 'store',
    decoded?: { readonly value: unknown },
  ): StoredEntry<T> {
    const value = decoded !== undefined ? decoded.value : this.decodeValue(meta, payload)
    return {
      createdAt: meta.createdAt,
      freshUntil: meta.freshUntil,
      staleUntil: meta.staleUntil,
      fence: meta.fence,
      kind: meta.kind,
      codec: meta.codec,
      tags: meta.tags,
      value: value as T,
      bytes,
      tier,
      payload,
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

  /** Decode an entry's value (nothing for a pass marker). */
  decodeValue(meta: EntryMeta, payload: Buffer): unknown {
    return meta.kind === 'pass' ? undefined : this.#deserialize(payload)
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
