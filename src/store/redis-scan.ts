/** Keys SCAN looks at per call: bounds the work (and time) of each call. */
const SCAN_COUNT = '1000'

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
