/**
 * Buckets SCAN looks at per call: bounds the work (and time) of each call. 500, not 1,000: a
 * SCAN over a table Redis is shrinking (as a large invalidation empties it) visits the buckets
 * of both tables, and took 15.7 ms at 1,000 in a 1M-entry invalidation (2.1 ms at most at 500,
 * for the same total time: BENCHMARKS.md note S2).
 */
const SCAN_COUNT = '500'

/**
 * The pages of one SCAN over one server. The next page is asked for as soon as the cursor is
 * known, before the caller handles the current one (one page ahead at most, so memory stays
 * bounded): the server reads it while the caller works. `read` sends one SCAN (with the
 * store's deadline); a page read ahead that fails before it is awaited, or that a caller who
 * stopped never awaits, is not an unhandled rejection.
 */
export async function* scanPages(
  pattern: string,
  read: (args: string[]) => Promise<unknown>,
): AsyncIterable<string[]> {
  const page = (cursor: string): Promise<[Buffer, Buffer[]]> => {
    const reply = read(['SCAN', cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT])
    reply.catch(() => undefined)
    return reply as Promise<[Buffer, Buffer[]]>
  }
  let ahead: Promise<[Buffer, Buffer[]]> | undefined = page('0')
  while (ahead !== undefined) {
    const [next, keys]: [Buffer, Buffer[]] = await ahead
    ahead = next.toString() === '0' ? undefined : page(next.toString())
    if (keys.length > 0) yield keys.map((key) => key.toString('utf8'))
  }
}
