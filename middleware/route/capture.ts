import type { ServerResponse } from 'node:http'

/**
 * Response capture: wraps `res.write` and `res.end` (which every Express path ends in:
 * `send`, `json`, `sendFile`, streams piped into `res`), so the exact bytes are recorded while
 * they go out to the client. Headers are read the moment the first byte is written, before any
 * middleware mounted ahead of the cache (such as compression) rewrites them, so stored headers
 * always describe the stored bytes.
 */

/** What a finished response looked like. */
export interface CapturedResponse {
  readonly status: number
  /** Header names in lower case; multi-valued headers as arrays. */
  readonly headers: Record<string, string | string[]>
  readonly body: Buffer
  /** More than `maxBytes` were written: the body was dropped. */
  readonly bodyTooLarge: boolean
  /** The connection closed before the response finished. */
  readonly aborted: boolean
}

/** Hop-by-hop headers (RFC 9110 7.6.1) and per-response ones the cache sets itself. */
const NOT_STORED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'age',
  'x-cache',
  'cache-status',
])

type Chunk = string | Uint8Array

/** How to capture. */
export interface CaptureOptions {
  /** Keep at most this many body bytes; beyond, the body is dropped (`bodyTooLarge`). */
  readonly maxBytes: number
  /**
   * Record without passing anything on (for subrequests, which have no client): writes report
   * success, `end` emits 'finish'.
   */
  readonly detached?: boolean
  /** Called once, with the status and headers, just before the first byte goes out. */
  readonly onHeaders?: (status: number, headers: Record<string, string | string[]>) => void
}

/** Start capturing `res`; the promise settles once the response has ended or the client left. */
export function captureResponse(
  res: ServerResponse,
  options: CaptureOptions,
): Promise<CapturedResponse> {
  return new Promise((resolve) => {
    const body = new BodyBuffer(options.maxBytes)
    let snapshot: { status: number; headers: Record<string, string | string[]> } | undefined
    const take = (): { status: number; headers: Record<string, string | string[]> } => {
      if (snapshot === undefined) {
        snapshot = readHeaders(res)
        options.onHeaders?.(snapshot.status, snapshot.headers)
      }
      return snapshot
    }
    let settled = false
    const finish = (aborted: boolean): void => {
      if (settled) return
      settled = true
      const { status, headers } = take()
      resolve({ status, headers, body: body.bytes(), bodyTooLarge: body.tooLarge, aborted })
    }
    const write = res.write.bind(res) as (...args: unknown[]) => boolean
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
    res.write = function (chunk: unknown, ...rest: unknown[]): boolean {
      take()
      body.add(chunk, rest[0])
      if (!options.detached) return write(chunk, ...rest)
      callbackOf(rest)?.()
      return true
    } as ServerResponse['write']
    res.end = function (...args: unknown[]): ServerResponse {
      take()
      body.add(args[0], args[1])
      if (!options.detached) {
        const result = end(...args)
        finish(false)
        return result
      }
      finish(false)
      callbackOf(args)?.()
      res.emit('finish')
      return res
    } as ServerResponse['end']
    res.once('close', () => finish(!res.writableEnded))
  })
}

/** Accumulates body chunks up to a byte bound. */
class BodyBuffer {
  readonly #max: number
  readonly #chunks: Buffer[] = []
  #size = 0
  tooLarge = false

  constructor(max: number) {
    this.#max = max
  }

  add(chunk: unknown, encoding: unknown): void {
    if (this.tooLarge || chunk === undefined || chunk === null || typeof chunk === 'function')
      return
    const bytes = toBuffer(chunk as Chunk, encoding)
    this.#size += bytes.length
    if (this.#size > this.#max) {
      this.tooLarge = true
      this.#chunks.length = 0
      return
    }
    this.#chunks.push(bytes)
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks)
  }
}

function callbackOf(args: unknown[]): (() => void) | undefined {
  const last = args[args.length - 1]
  return typeof last === 'function' ? (last as () => void) : undefined
}

function readHeaders(res: ServerResponse): {
  status: number
  headers: Record<string, string | string[]>
} {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (value === undefined || NOT_STORED.has(name)) continue
    headers[name] = Array.isArray(value) ? value.map(String) : String(value)
  }
  return { status: res.statusCode, headers }
}

function toBuffer(chunk: Chunk, encoding: unknown): Buffer {
  if (typeof chunk === 'string') {
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
  }
  // A copy: streams may reuse their buffers once a write returns.
  return Buffer.from(chunk)
}
