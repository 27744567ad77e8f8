import type { ServerResponse } from 'node:http'
import { HERDLOCK_FIELD } from '../http/targeted.js'
import { applyHeaderArguments, takeWithheld, withheldOf } from './withheld.js'

/**
 * Response capture: wraps `res.write` and `res.end` (which every Express path ends in:
 * `send`, `json`, `sendFile`, streams piped into `res`), so the exact bytes are recorded while
 * they go out to the client, and `res.writeHead`, where headers are read twice. Before the
 * writeHead hooks of middleware mounted ahead of the cache run (compression, express-session,
 * anything built on `on-headers`), the headers describe the captured bytes: they are what is
 * stored. After every hook ran, they are what went on the wire: they decide whether the
 * response may be stored at all (a Set-Cookie added by a session hook forbids it). Headers
 * already on the response when the capture started (a request id, rate-limit counters) belong
 * to that request: they are not stored unless the handler changed them, and those the handler
 * removed are remembered as removed (a hit removes the current request's copy too).
 */

/** What a finished response looked like. */
export interface CapturedResponse {
  readonly status: number
  /** What a stored copy carries: header names in lower case; multi-valued headers as arrays. */
  readonly headers: Record<string, string | string[]>
  /** Every header sent on the wire, after all writeHead hooks: what storability is decided on. */
  readonly wire: Record<string, string | string[]>
  /** Headers already on the response when the capture started that the handler removed. */
  readonly removed: readonly string[]
  readonly body: Buffer
  /** More than `maxBytes` were written: the body was dropped. */
  readonly bodyTooLarge: boolean
  /** The connection closed before the response finished. */
  readonly aborted: boolean
  /** Tags the handler added with `tagResponse()` (`res.locals.cacheTags`). */
  readonly tags: readonly string[]
  /**
   * Fields for the cache alone (`Herdlock-Cache-Control`): read here, removed from what the
   * client receives and from what is stored.
   */
  readonly withheld: Headers
  /** When the capture started: the request went to the origin (epoch ms, RFC 9111 4.2.3). */
  readonly requestTime: number
  /** When the response's head was written: it arrived from the origin (epoch ms). */
  readonly responseTime: number
}

/** Hop-by-hop headers (RFC 9110 7.6.1) and per-response ones the cache sets itself. */
const NOT_STORED: ReadonlySet<string> = new Set([
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
  HERDLOCK_FIELD,
])

/** What storability reads: all but hop-by-hop headers; the origin's `Age` counts (4.2.3). */
const NOT_ON_WIRE: ReadonlySet<string> = new Set([...NOT_STORED].filter((name) => name !== 'age'))

/** How to capture. */
export interface CaptureOptions {
  /** Keep at most this many body bytes; beyond, the body is dropped (`bodyTooLarge`). */
  readonly maxBytes: number
  /**
   * Record without passing anything on (for subrequests, which have no client): writes report
   * success, `end` emits 'finish'.
   */
  readonly detached?: boolean
}

type Headers = Record<string, string | string[]>
type Chunk = string | Uint8Array
type WriteHead = (...args: unknown[]) => ServerResponse

/** Start capturing `res`; the promise settles once the response has ended or the client left. */
export function captureResponse(
  res: ServerResponse,
  options: CaptureOptions,
): Promise<CapturedResponse> {
  return new Promise((resolve) => {
    const body = new BodyBuffer(options.maxBytes)
    const requestTime = Date.now()
    let responseTime: number | undefined
    const before = fingerprint(res)
    let own: Headers | undefined
    let removed: string[] | undefined
    let wire: Headers | undefined
    // Called with the response as `this`, like any writeHead, so wrappers chain as they expect.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const writeHead = res.writeHead as unknown as WriteHead
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (own !== undefined || res.headersSent) return writeHead.apply(this, args)
      responseTime = Date.now()
      const rest = applyHeaderArguments(res, args)
      takeWithheld(res)
      own = readHeaders(res, before, NOT_STORED)
      removed = removedHeaders(res, before)
      // The hooks of middleware mounted ahead of the cache run in here.
      const result = writeHead.apply(this, rest)
      wire = readHeaders(res, undefined, NOT_ON_WIRE)
      return result
    }
    // Without a client nothing would reach writeHead: run it (and every hook) like a real send.
    const head = (): void => {
      if (options.detached && !res.headersSent) res.writeHead(res.statusCode)
    }
    let settled = false
    const finish = (aborted: boolean): void => {
      if (settled) return
      settled = true
      resolve({
        status: res.statusCode,
        headers: own ?? readHeaders(res, before, NOT_STORED),
        wire: wire ?? readHeaders(res, undefined, NOT_ON_WIRE),
        removed: removed ?? removedHeaders(res, before),
        body: body.bytes(),
        bodyTooLarge: body.tooLarge,
        aborted,
        tags: localsTags(res),
        withheld: withheldOf(res),
        requestTime,
        responseTime: responseTime ?? Date.now(),
      })
    }
    const write = res.write.bind(res) as (...args: unknown[]) => boolean
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
    res.write = function (chunk: unknown, ...rest: unknown[]): boolean {
      head()
      body.add(chunk, rest[0])
      if (!options.detached) return write(chunk, ...rest)
      callbackOf(rest)?.()
      return true
    } as ServerResponse['write']
    res.end = function (...args: unknown[]): ServerResponse {
      head()
      body.add(args[0], args[1])
      if (!options.detached) {
        const result = end(...args)
        finish(false)
        return result
      }
      finish(false)
      callbackOf(args)?.()
      res.emit('finish')
      // Lets middleware release what they hold for the response (compression's zlib stream).
      res.emit('close')
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

/** Header values as comparable text, to tell what the handler changed. */
function fingerprint(res: ServerResponse): Map<string, string> {
  const seen = new Map<string, string>()
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (value !== undefined) seen.set(name, Array.isArray(value) ? value.join('\n') : String(value))
  }
  return seen
}

/** The response's headers but `skip`, less those `before` already had with the same value. */
function readHeaders(
  res: ServerResponse,
  before: Map<string, string> | undefined,
  skip: ReadonlySet<string>,
): Headers {
  const headers: Headers = {}
  for (const [name, value] of Object.entries(res.getHeaders())) {
    if (value === undefined || skip.has(name)) continue
    const text = Array.isArray(value) ? value.map(String) : String(value)
    if (before?.get(name) === (Array.isArray(text) ? text.join('\n') : text)) continue
    headers[name] = text
  }
  return headers
}

/** Names `before` had that the response no longer has (hop-by-hop and the cache's own aside). */
function removedHeaders(res: ServerResponse, before: Map<string, string>): string[] {
  const removed: string[] = []
  for (const name of before.keys()) {
    if (!NOT_STORED.has(name) && !res.hasHeader(name)) removed.push(name)
  }
  return removed
}

function localsTags(res: ServerResponse): string[] {
  const tags = (res as { locals?: { cacheTags?: unknown } }).locals?.cacheTags
  return Array.isArray(tags)
    ? tags.filter((tag): tag is string => typeof tag === 'string' && tag !== '')
    : []
}

function toBuffer(chunk: Chunk, encoding: unknown): Buffer {
  if (typeof chunk === 'string') {
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
  }
  // A copy: streams may reuse their buffers once a write returns.
  return Buffer.from(chunk)
}
