/**
 * Just enough RESP (2 and 3) for the fault proxy: find where one complete frame ends in a byte
 * stream, and read a command (an array of bulk strings) into its name and arguments. Nothing
 * here allocates for frames it only measures.
 */

const CR = 13

/** Where the line starting at `from` ends (index of its CR), or -1 when it is not complete. */
function lineEnd(buffer: Buffer, from: number): number {
  const cr = buffer.indexOf(CR, from)
  return cr === -1 || cr + 1 >= buffer.length ? -1 : cr
}

function lineNumber(buffer: Buffer, from: number, end: number): number {
  const n = Number(buffer.toString('latin1', from, end))
  if (!Number.isInteger(n))
    throw new RespError(`bad length ${buffer.toString('latin1', from, end)}`)
  return n
}

/** The byte stream is not RESP (the proxy then stops parsing that direction). */
export class RespError extends Error {
  override readonly name = 'RespError'
}

/**
 * The end offset (exclusive) of the frame starting at `from`, or -1 when more bytes are needed.
 * Throws RespError on bytes that are not RESP.
 */
export function frameEnd(buffer: Buffer, from: number): number {
  if (from >= buffer.length) return -1
  const type = buffer[from]!
  const end = lineEnd(buffer, from + 1)
  if (end === -1) return -1
  switch (type) {
    case 0x2b: // + simple string
    case 0x2d: // - error
    case 0x3a: // : integer
    case 0x5f: // _ null
    case 0x2c: // , double
    case 0x23: // # boolean
    case 0x28: // ( big number
      return end + 2
    case 0x24: // $ bulk string
    case 0x21: // ! bulk error
    case 0x3d: {
      // = verbatim string
      const length = lineNumber(buffer, from + 1, end)
      if (length < 0) return end + 2
      const stop = end + 2 + length + 2
      return stop <= buffer.length ? stop : -1
    }
    case 0x2a: // * array
    case 0x7e: // ~ set
    case 0x3e: // > push
    case 0x25: // % map
    case 0x7c: {
      // | attribute (followed by the value it annotates)
      const count = lineNumber(buffer, from + 1, end)
      const items = type === 0x25 || type === 0x7c ? count * 2 : Math.max(count, 0)
      let at = end + 2
      for (let i = 0; i < items; i++) {
        at = frameEnd(buffer, at)
        if (at === -1) return -1
      }
      return type === 0x7c ? frameEnd(buffer, at) : at
    }
    default:
      throw new RespError(`unexpected type byte 0x${type.toString(16)} at ${from}`)
  }
}

/** A command as a client sent it. */
export interface RespCommand {
  /** The command name, upper case (`EVALSHA`, `SET`, `SUBSCRIBE`). */
  readonly name: string
  /** The arguments after the name, as bytes. */
  readonly args: readonly Buffer[]
}

/** Read a complete frame known to be a command (an array of bulk strings). */
export function readCommand(frame: Buffer): RespCommand {
  const parts: Buffer[] = []
  if (frame[0] !== 0x2a) {
    // Inline command (PING\r\n): space separated.
    const words = frame.toString('latin1').trim().split(/\s+/)
    return { name: (words[0] ?? '').toUpperCase(), args: words.slice(1).map((w) => Buffer.from(w)) }
  }
  let end = lineEnd(frame, 1)
  const count = lineNumber(frame, 1, end)
  let at = end + 2
  for (let i = 0; i < count; i++) {
    end = lineEnd(frame, at + 1)
    const length = lineNumber(frame, at + 1, end)
    parts.push(frame.subarray(end + 2, end + 2 + length))
    at = end + 2 + length + 2
  }
  return { name: (parts[0]?.toString('latin1') ?? '').toUpperCase(), args: parts.slice(1) }
}

/** Whether a reply frame is an out-of-band RESP3 push (it answers no command). */
export function isPush(frame: Buffer): boolean {
  return frame[0] === 0x3e
}

/**
 * End of a client frame: RESP arrays, or an inline command line (what `redis-cli` and raw
 * sockets send).
 */
export function commandEnd(buffer: Buffer, from: number): number {
  if (from >= buffer.length) return -1
  if (buffer[from] === 0x2a) return frameEnd(buffer, from)
  const lf = buffer.indexOf(0x0a, from)
  return lf === -1 ? -1 : lf + 1
}
