import { CorruptEntryError } from '../errors.js'

/**
 * The entry envelope: one binary-safe string per cache entry, a short ASCII header line followed
 * by the serialized value.
 *
 *   HL1 <createdAt> <freshUntil> <staleUntil> <fence> <kind> <codec> <tags>\n<payload>
 *
 * Times are epoch milliseconds, the fence a non-negative integer, `kind` is `v` (a value), `p`
 * (a "pass" marker: the last result was not storable, so callers should not queue behind a lock)
 * or `e` (a cached failure of the function, only when `errorTtl` asks for it),
 * `codec` names the serializer and `tags` is a comma-separated list of URI-encoded tags, or `-`.
 * Lua scripts read the numbers with one `string.match` without touching the payload.
 */

/**
 * What kind of entry an envelope holds: `value` a cached value, `pass` a "do not wait, compute
 * yourself" marker (see `passTtl`), `error` a cached failure (see `errorTtl`).
 *
 * @inline
 */
export type EntryKind = 'value' | 'pass' | 'error'

/** Metadata stored with every entry. */
export interface EntryMeta {
  /** When the value was produced (epoch ms). */
  readonly createdAt: number
  /** Until when the value is fresh (epoch ms). */
  readonly freshUntil: number
  /** Until when the value may still be served stale (epoch ms); the Redis TTL ends here. */
  readonly staleUntil: number
  /** The fence number the write carried. */
  readonly fence: number
  /** Entry kind. */
  readonly kind: EntryKind
  /** Name of the serializer that wrote the payload. */
  readonly codec: string
  /** Tags of the entry. */
  readonly tags: readonly string[]
}

/** A decoded envelope: metadata plus the still-serialized payload. */
export interface Envelope extends EntryMeta {
  readonly payload: Buffer
}

const KIND_CHAR: Readonly<Record<EntryKind, string>> = { value: 'v', pass: 'p', error: 'e' }
const CHAR_KIND: ReadonlyMap<string, EntryKind> = new Map([
  ['v', 'value'],
  ['p', 'pass'],
  ['e', 'error'],
])
const MAGIC = 'HL1 '
const NEWLINE = 0x0a
const MAX_HEADER = 64 * 1024
const SPACE = 0x20
const CODEC = /^[A-Za-z0-9-]{1,32}$/

/** The header fields before the codec name, in their stored order. */
const HEADER_FIELDS = ['createdAt', 'freshUntil', 'staleUntil', 'fence', 'kind'] as const

/** A header field a pattern can capture (see envelopeHeaderPattern). */
export type HeaderField = (typeof HEADER_FIELDS)[number]

/** How many leading bytes always hold the fields of envelopeHeaderPattern (16-digit numbers). */
export const HEADER_PEEK_BYTES = 80

/**
 * The start of an envelope header as a pattern, in JavaScript RegExp or Lua pattern syntax,
 * capturing the `captured` fields (in header order). The one definition of the header layout
 * that the Lua scripts, their memory-store twins and peekEnvelope read: one match, no payload.
 */
export function envelopeHeaderPattern(
  dialect: 'js' | 'lua',
  captured: readonly HeaderField[],
): string {
  const digits = dialect === 'js' ? '\\d+' : '%d+'
  const kinds = `[${Object.values(KIND_CHAR).join('')}]`
  const fields = HEADER_FIELDS.map((field) => {
    const body = field === 'kind' ? kinds : digits
    return captured.includes(field) ? `(${body})` : body
  })
  return `^${MAGIC}${fields.join(' ')} `
}

const PEEK = new RegExp(envelopeHeaderPattern('js', ['freshUntil', 'kind']))

/**
 * An envelope split around its fence number, so a Lua script can write the fence it assigns:
 * the stored bytes are `head + fence + tail`.
 */
export interface EnvelopeParts {
  readonly head: Buffer
  readonly tail: Buffer
  /** The serialized value alone (the end of `tail`). */
  readonly payload: Buffer
}

/** Build an envelope without its fence (see EnvelopeParts). */
export function encodeEnvelopeParts(
  meta: Omit<EntryMeta, 'fence'>,
  payload: Uint8Array,
): EnvelopeParts {
  const tags = meta.tags.length === 0 ? '-' : meta.tags.map(encodeURIComponent).join(',')
  const head = `${MAGIC}${meta.createdAt} ${meta.freshUntil} ${meta.staleUntil} `
  const tail = ` ${KIND_CHAR[meta.kind]} ${meta.codec} ${tags}\n`
  const bytes = Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  return {
    head: Buffer.from(head, 'latin1'),
    tail: Buffer.concat([Buffer.from(tail, 'latin1'), bytes]),
    payload: bytes,
  }
}

/** Build the stored bytes of an entry. */
export function encodeEnvelope(meta: EntryMeta, payload: Uint8Array): Buffer {
  const { head, tail } = encodeEnvelopeParts(meta, payload)
  return Buffer.concat([head, Buffer.from(String(meta.fence), 'latin1'), tail])
}

/** Read just the freshness and kind of stored bytes, as the Lua scripts do (no payload access). */
export function peekEnvelope(bytes: Buffer): { freshUntil: number; kind: EntryKind } | undefined {
  const match = PEEK.exec(bytes.toString('latin1', 0, Math.min(bytes.length, HEADER_PEEK_BYTES)))
  if (match === null) return undefined
  return { freshUntil: Number(match[1]), kind: CHAR_KIND.get(match[2] ?? 'v') ?? 'value' }
}

/** Parse stored bytes; throws CorruptEntryError for anything that is not a valid envelope. */
export function decodeEnvelope(bytes: Buffer): Envelope {
  if (
    bytes.length < MAGIC.length ||
    bytes[0] !== 0x48 ||
    bytes[1] !== 0x4c ||
    bytes[2] !== 0x31 ||
    bytes[3] !== SPACE
  ) {
    throw new CorruptEntryError('not a herdlock entry')
  }
  const end = bytes.indexOf(NEWLINE)
  if (end < 0 || end > MAX_HEADER) throw new CorruptEntryError('header is not terminated')
  // Everything is read straight from the bytes, without regular expressions or splitting:
  // this runs on every cache hit.
  const cursor = { at: MAGIC.length }
  const createdAt = readInteger(bytes, cursor)
  const freshUntil = readInteger(bytes, cursor)
  const staleUntil = readInteger(bytes, cursor)
  const fence = readInteger(bytes, cursor)
  const kind = CHAR_KIND.get(String.fromCharCode(bytes[cursor.at] ?? 0))
  if (kind === undefined || bytes[cursor.at + 1] !== SPACE) {
    throw new CorruptEntryError('unknown entry kind')
  }
  const codecStart = cursor.at + 2
  const codecEnd = bytes.indexOf(SPACE, codecStart)
  if (codecEnd < 0 || codecEnd > end)
    throw new CorruptEntryError('header has the wrong number of fields')
  const codec = bytes.toString('latin1', codecStart, codecEnd)
  const tags = bytes.toString('latin1', codecEnd + 1, end)
  if (!CODEC.test(codec) || tags.includes(' ')) {
    throw new CorruptEntryError('malformed codec or tags')
  }
  return {
    createdAt,
    freshUntil,
    staleUntil,
    fence,
    kind,
    codec,
    tags: tags === '-' ? [] : tags.split(',').map(decodeTag),
    payload: bytes.subarray(end + 1),
  }
}

const DIGIT_0 = 0x30
const DIGIT_9 = 0x39

/** Read 1-16 decimal digits and the space after them, advancing the cursor. */
function readInteger(bytes: Buffer, cursor: { at: number }): number {
  let value = 0
  let digits = 0
  let at = cursor.at
  for (; at < bytes.length; at++) {
    const byte = bytes[at]!
    if (byte === SPACE) break
    if (byte < DIGIT_0 || byte > DIGIT_9 || ++digits > 16) {
      throw new CorruptEntryError('malformed number in header')
    }
    value = value * 10 + (byte - DIGIT_0)
  }
  if (digits === 0 || at >= bytes.length) throw new CorruptEntryError('malformed number in header')
  cursor.at = at + 1
  return value
}

function decodeTag(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch (error) {
    throw new CorruptEntryError('malformed tag in header', { cause: error })
  }
}
