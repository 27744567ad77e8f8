/**
 * Range requests answered from a stored full response (RFC 9110 section 14): one byte range,
 * `If-Range` honoured with the strong comparison; several ranges, other units or a malformed
 * header are ignored (the full response answers them, as the RFC allows).
 */

/** A byte range to send (inclusive), or why none can be. */
export type RangeAnswer =
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' }

const BYTE_RANGE = /^bytes[ \t]*=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i

/** The single byte range a `Range` header asks of a body of `length` bytes, if any. */
export function byteRange(header: string | undefined, length: number): RangeAnswer | undefined {
  if (header === undefined) return undefined
  const match = BYTE_RANGE.exec(header)
  if (match === null) return undefined
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    // A suffix: the last N bytes.
    const suffix = Number(last)
    if (suffix === 0 || length === 0) return { kind: 'unsatisfiable' }
    return { kind: 'range', start: Math.max(0, length - suffix), end: length - 1 }
  }
  const start = Number(first)
  const end = last === '' ? length - 1 : Math.min(Number(last), length - 1)
  if (last !== '' && Number(last) < start) return undefined
  if (start >= length) return { kind: 'unsatisfiable' }
  return { kind: 'range', start, end }
}

/**
 * Whether `If-Range` lets the range apply (RFC 9110 13.1.5): absent, or naming the stored
 * response's strong ETag, or its Last-Modified exactly.
 */
export function ifRangeHolds(
  header: string | undefined,
  etag: string | undefined,
  lastModified: string | undefined,
): boolean {
  if (header === undefined) return true
  const value = header.trim()
  if (value.startsWith('"') || value.startsWith('W/')) {
    return !value.startsWith('W/') && etag !== undefined && !etag.startsWith('W/') && etag === value
  }
  return lastModified !== undefined && lastModified === value
}
