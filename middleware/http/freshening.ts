/**
 * Revalidation of a stored response (RFC 9111 4.3): the validators a conditional request
 * carries, and the stored header fields a 304 refreshes (section 3.2 and 4.3.4).
 */

type Headers = Readonly<Record<string, string | readonly string[]>>

/** The validators an origin gave a response (never one the cache made up itself). */
export interface Validators {
  readonly etag?: string
  readonly lastModified?: string
}

/** The origin's validators of a response's headers; undefined when it has none. */
export function validatorsOf(headers: Headers): Validators | undefined {
  const etag = single(headers['etag'])
  const lastModified = single(headers['last-modified'])
  if (etag === undefined && lastModified === undefined) return undefined
  return {
    ...(etag === undefined ? {} : { etag }),
    ...(lastModified === undefined ? {} : { lastModified }),
  }
}

/** The request fields that make a request conditional on the stored response (4.3.1). */
export function conditionalHeaders(validators: Validators): Record<string, string> {
  return {
    ...(validators.etag === undefined ? {} : { 'if-none-match': validators.etag }),
    ...(validators.lastModified === undefined
      ? {}
      : { 'if-modified-since': validators.lastModified }),
  }
}

/**
 * Fields a 304 never changes in a stored response: those describing its body, which the 304 does
 * not carry (Content-Length, Content-Encoding, Content-Range, Content-MD5), its validator (a
 * different ETag in a 304 would describe another representation; the stored one stays), and
 * Set-Cookie, which is never shared.
 */
const KEPT = new Set([
  'content-length',
  'content-encoding',
  'content-range',
  'content-md5',
  'etag',
  'set-cookie',
])

/**
 * The stored response's header fields refreshed by a 304's (section 3.2): each field the 304
 * carries replaces the stored one, but for those in `KEPT`; every other stored field stays.
 * Names are lower case on both sides.
 */
export function freshenedHeaders(
  stored: Headers,
  notModified: Headers,
): Record<string, string | string[]> {
  const merged: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(stored)) merged[name] = copy(value)
  for (const [name, value] of Object.entries(notModified)) {
    if (!KEPT.has(name)) merged[name] = copy(value)
  }
  return merged
}

function copy(value: string | readonly string[]): string | string[] {
  return typeof value === 'string' ? value : [...value]
}

function single(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  const text = typeof value === 'string' ? value : value.join(', ')
  return text === '' ? undefined : text
}
