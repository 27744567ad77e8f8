import { createHash } from 'node:crypto'
import { InvalidKeyError, InvalidOptionError, OptionRangeError } from '../errors.js'

/**
 * Redis key layout. Everything that belongs to one cache key (its value, its fence counter and
 * its lock) shares one hash tag, `{<namespace>:<key>}`, so every Lua script touches a single
 * slot and the layout works unchanged on Redis Cluster:
 *
 *   <prefix>:v:{<ns>:<key>}   the entry envelope
 *   <prefix>:f:{<ns>:<key>}   the fence counter
 *   <prefix>:l:{<ns>:<key>}   the lock (on the lock nodes)
 *   <prefix>:tz:{<tag>}       the value keys carrying a tag (sorted set, scored by expiry)
 *   <prefix>:tp:{<tag>}       those an invalidation took and has not settled yet
 *   <prefix>:bus              the pub/sub channel
 *
 * Parts are escaped so that the encoding is unambiguous: a namespace never contains a raw ':'
 * (so `users` can never match `usersX` or `users:x`), and no part contains a raw '{' or '}' (so
 * the hash tag always spans exactly the namespace and the key).
 */

/** Keys whose encoded form is longer than this are replaced by their SHA-256. */
export const MAX_ENCODED_KEY_LENGTH = 512
/** Longest namespace accepted. */
export const MAX_NAMESPACE_LENGTH = 128
/** Tags longer than this are kept under their digest (see `checkTag`). */
export const MAX_TAG_LENGTH = 256
/** Marks a digest that stands for a long tag. */
const TAG_DIGEST_MARK = '#sha256:'

const NAMESPACE_ESCAPES = /[%{}:]/g
const KEY_ESCAPES = /[%{}]/g
const GLOB_SPECIALS = /[*?[\]\\^]/g
// '%H' can never come out of escapeKey (which only emits %25, %7B, %7D), so hashed keys cannot
// collide with any literal key.
const HASHED_MARK = '%H'

function percentEncode(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
}

/** Escape the characters of a Redis glob pattern so they match literally. */
export function escapeGlob(text: string): string {
  return text.replace(GLOB_SPECIALS, (c) => `\\${c}`)
}

/** Check a namespace and return it; throws InvalidKeyError for unusable ones. */
export function checkNamespace(namespace: unknown): string {
  if (typeof namespace !== 'string' || namespace.length === 0) {
    throw new InvalidKeyError(`namespace must be a non-empty string`)
  }
  if (namespace.length > MAX_NAMESPACE_LENGTH) {
    throw new InvalidKeyError(`namespace must be at most ${MAX_NAMESPACE_LENGTH} characters`)
  }
  return namespace
}

/** Check a cache key and return it; throws InvalidKeyError for unusable ones. */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidKeyError(`cache key must be a non-empty string`)
  }
  return key
}

/**
 * Check a tag and return the name it is kept under: the tag itself, or for a tag longer than
 * `MAX_TAG_LENGTH`, `#sha256:` and the SHA-256 of the whole tag (base64url), so a long tag (a
 * handler's tag made from a query or a list of ids) is stored, and invalidated by the same tag,
 * without making every entry header carry it. Throws InvalidKeyError for unusable ones.
 */
export function checkTag(tag: unknown): string {
  if (typeof tag !== 'string' || tag.length === 0) {
    throw new InvalidKeyError(`tags must be non-empty strings`)
  }
  if (tag.length <= MAX_TAG_LENGTH) return tag
  return TAG_DIGEST_MARK + createHash('sha256').update(tag).digest('base64url')
}

/** Check the key prefix option: non-empty, short, no braces (they would break hash tags). */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new InvalidOptionError('prefix', 'must be a non-empty string')
  }
  if (prefix.length > 64) throw new OptionRangeError('prefix', 'must be at most 64 characters')
  if (/[{}\s]/.test(prefix)) {
    throw new InvalidOptionError('prefix', 'must not contain braces or white space')
  }
  return prefix
}

function encodeNamespace(namespace: string): string {
  return namespace.replace(NAMESPACE_ESCAPES, percentEncode)
}

const KEY_NEEDS_ESCAPE = /[%{}]/

function encodeKey(key: string): string {
  // Most keys hold none of the escaped characters: skip the replace (this runs on every call).
  if (key.length <= MAX_ENCODED_KEY_LENGTH && !KEY_NEEDS_ESCAPE.test(key)) return key
  const encoded = key.replace(KEY_ESCAPES, percentEncode)
  if (encoded.length <= MAX_ENCODED_KEY_LENGTH) return encoded
  return HASHED_MARK + createHash('sha256').update(key).digest('hex')
}

/** The Redis key names of one cache entry. */
export interface EntryKeys {
  /** The entry envelope. */
  readonly value: string
  /** The fence counter, bumped by every lock acquisition, write and delete. */
  readonly fence: string
  /** The lock resource, used on the lock nodes. */
  readonly lock: string
}

/**
 * The memo of recently used keys' names is bounded in bytes (UTF-16 size of the key and its
 * three names, plus a per-entry allowance) and dropped when full; keys longer than
 * RECENT_KEY_MAX_LENGTH are never remembered (their names are hashed anyway, and a few huge
 * keys would otherwise pin megabytes).
 */
export const RECENT_KEYS_MAX_BYTES = 2 * 1024 * 1024
const RECENT_KEY_MAX_LENGTH = 1_024
const RECENT_ENTRY_OVERHEAD = 160

/** Builds every Redis key name for one prefix. Pure: no I/O. */
export class Keyspace {
  readonly prefix: string
  /** The single pub/sub channel of every cache instance sharing this prefix. */
  readonly channel: string
  readonly #valuePrefix: string
  // Namespaces are few and reused on every call: remember their checked, encoded form.
  readonly #namespaces = new Map<string, string>()
  // Hot keys are asked for again and again (every hit): remember their names, so a hit builds
  // no strings, and the names it gets back (same strings each time) hash for free in maps.
  readonly #recent = new Map<string, Map<string, EntryKeys>>()
  #recentBytes = 0

  constructor(prefix: string) {
    this.prefix = checkPrefix(prefix)
    this.channel = `${prefix}:bus`
    this.#valuePrefix = `${prefix}:v:`
  }

  /** The key names for `key` in `namespace`. */
  entry(namespace: string, key: string): EntryKeys {
    let byKey = this.#recent.get(namespace)
    const known = byKey?.get(key)
    if (known !== undefined) return known
    const tag = `{${this.#namespacePart(namespace)}:${encodeKey(checkKey(key))}}`
    const keys: EntryKeys = {
      value: this.#valuePrefix + tag,
      fence: `${this.prefix}:f:${tag}`,
      lock: `${this.prefix}:l:${tag}`,
    }
    if (key.length > RECENT_KEY_MAX_LENGTH) return keys
    const bytes = (key.length + keys.value.length * 3) * 2 + RECENT_ENTRY_OVERHEAD
    if (this.#recentBytes + bytes > RECENT_KEYS_MAX_BYTES) {
      this.#recent.clear()
      this.#recentBytes = 0
      byKey = undefined
    }
    if (byKey === undefined) this.#recent.set(namespace, (byKey = new Map<string, EntryKeys>()))
    byKey.set(key, keys)
    this.#recentBytes += bytes
    return keys
  }

  #namespacePart(namespace: string): string {
    let encoded = this.#namespaces.get(namespace)
    if (encoded === undefined) {
      encoded = encodeNamespace(checkNamespace(namespace))
      if (this.#namespaces.size >= 1_000) this.#namespaces.clear()
      this.#namespaces.set(namespace, encoded)
    }
    return encoded
  }

  /** The value key of `key` in `namespace` (the identity used in messages and stats). */
  valueKey(namespace: string, key: string): string {
    return this.entry(namespace, key).value
  }

  /**
   * The sorted set holding the value keys that carry `tag`, scored by when their entry expires
   * (named `tz`: tag sets were plain sets under `t` before, and a new type needs a new name).
   */
  tagSet(tag: string): string {
    return `${this.prefix}:tz:{${encodeKey(checkTag(tag))}}`
  }

  /** A tag's pending set: members an invalidation took and has not settled (same hash slot). */
  tagPending(tag: string): string {
    return `${this.prefix}:tp:{${encodeKey(checkTag(tag))}}`
  }

  /**
   * A SCAN pattern matching the value and fence keys of every entry of a namespace, and nothing
   * else. Fence keys are included so that entries still being computed (a fence, no value yet)
   * are invalidated too.
   */
  namespacePattern(namespace: string): string {
    const ns = escapeGlob(encodeNamespace(checkNamespace(namespace)))
    return `${escapeGlob(this.prefix)}:[vf]:{${ns}:*}`
  }

  /**
   * A SCAN pattern for the entries of a namespace whose key matches a user glob, where only `*`
   * and `?` are wildcards and every other character (including `[`, `]` and `\`) is literal.
   */
  keyPattern(namespace: string, glob: string): string {
    if (typeof glob !== 'string' || glob.length === 0) {
      throw new InvalidKeyError('pattern must be a non-empty string')
    }
    const body = glob
      .split(/([*?])/)
      .map((part) => (part === '*' || part === '?' ? part : escapeGlob(encodeKey(part))))
      .join('')
    const ns = escapeGlob(encodeNamespace(checkNamespace(namespace)))
    return `${escapeGlob(this.prefix)}:[vf]:{${ns}:${body}}`
  }

  /** The entry keys of any value or fence key name of this keyspace; undefined for others. */
  entryOf(name: string): EntryKeys | undefined {
    const kind = name.slice(this.prefix.length, this.prefix.length + 3)
    if (!name.startsWith(this.prefix) || (kind !== ':v:' && kind !== ':f:')) return undefined
    const tag = name.slice(this.prefix.length + 3)
    if (!tag.startsWith('{') || !tag.endsWith('}')) return undefined
    return {
      value: `${this.prefix}:v:${tag}`,
      fence: `${this.prefix}:f:${tag}`,
      lock: `${this.prefix}:l:${tag}`,
    }
  }

  /** Whether a key name is a value key of this keyspace. */
  isValueKey(key: string): boolean {
    return key.startsWith(this.#valuePrefix)
  }

  /** The namespace part of a value key, decoded; undefined for foreign keys. */
  namespaceOf(valueKey: string): string | undefined {
    if (!this.isValueKey(valueKey)) return undefined
    const inner = valueKey.slice(this.#valuePrefix.length + 1)
    const end = inner.indexOf(':')
    return end < 0 ? undefined : decodeURIComponent(inner.slice(0, end))
  }
}
