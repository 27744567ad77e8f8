import type { ServerResponse } from 'node:http'
import { applyHeaderArguments, takeWithheld, withheldOf } from './withheld.js'
import {
  fingerprint,
  NOT_ON_WIRE,
  NOT_STORED,
  readHeaders,
  removedHeaders,
  type HeaderFields,
} from './captured-headers.js'

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
  readonly withheld: HeaderFields
  /** When the capture started: the request went to the origin (epoch ms, RFC 9111 4.2.3). */
  readonly requestTime: number
  /** When the response's head was written: it arrived from the origin (epoch ms). */
  readonly responseTime: number
}

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

type Chunk = string | Uint8Array
type WriteHead = (...args: unknown[]) => ServerResponse

/** Start capturing `res`; the promise settles once the response has ended or the client left. */
export function captureResponse(
  res: ServerResponse,
  options: CaptureOptions,
): Promise<CapturedResponse> {
  return new Promise((resolve) => {
    const recording = new Recording(res, options.maxBytes, resolve)
    hookWriteHead(res, recording)
    hookBody(res, recording, options.detached === true)
    res.once('close', () => recording.finish(!res.writableEnded))
  })
}

/** One capture's state: the headers read at writeHead, the body, and the result, settled once. */
class Recording {
  readonly body: BodyBuffer
  readonly requestTime = Date.now()
  /** The headers on the response when the capture started. */
  readonly before: Map<string, string>
  responseTime: number | undefined
  /** What a stored copy carries, read at writeHead before the hooks ran. */
  own: HeaderFields | undefined
  removed: string[] | undefined
  /** What went on the wire, read after the hooks ran. */
  wire: HeaderFields | undefined
  #settled = false

  constructor(
    readonly res: ServerResponse,
    maxBytes: number,
    readonly resolve: (response: CapturedResponse) => void,
  ) {
    this.body = new BodyBuffer(maxBytes)
    this.before = fingerprint(res)
  }

  finish(aborted: boolean): void {
    if (this.#settled) return
    this.#settled = true
    const { res, before } = this
    this.resolve({
      status: res.statusCode,
      headers: this.own ?? readHeaders(res, before, NOT_STORED),
      wire: this.wire ?? readHeaders(res, undefined, NOT_ON_WIRE),
      removed: this.removed ?? removedHeaders(res, before),
      body: this.body.bytes(),
      bodyTooLarge: this.body.tooLarge,
      aborted,
      tags: localsTags(res),
      withheld: withheldOf(res),
      requestTime: this.requestTime,
      responseTime: this.responseTime ?? Date.now(),
    })
  }
}

/** Read the headers twice at the first writeHead: before the hooks run (stored), after (wire). */
function hookWriteHead(res: ServerResponse, recording: Recording): void {
  // Called with the response as `this`, like any writeHead, so wrappers chain as they expect.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const writeHead = res.writeHead as unknown as WriteHead
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (recording.own !== undefined || res.headersSent) return writeHead.apply(this, args)
    recording.responseTime = Date.now()
    const rest = applyHeaderArguments(res, args)
    takeWithheld(res)
    recording.own = readHeaders(res, recording.before, NOT_STORED)
    recording.removed = removedHeaders(res, recording.before)
    // The hooks of middleware mounted ahead of the cache run in here.
    const result = writeHead.apply(this, rest)
    recording.wire = readHeaders(res, undefined, NOT_ON_WIRE)
    return result
  }
}

/** Record every body byte on its way out (`detached`: instead of sending it). */
function hookBody(res: ServerResponse, recording: Recording, detached: boolean): void {
  // Without a client nothing would reach writeHead: run it (and every hook) like a real send.
  const head = (): void => {
    if (detached && !res.headersSent) res.writeHead(res.statusCode)
  }
  const write = res.write.bind(res) as (...args: unknown[]) => boolean
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
  res.write = function (chunk: unknown, ...rest: unknown[]): boolean {
    head()
    recording.body.add(chunk, rest[0])
    if (!detached) return write(chunk, ...rest)
    callbackOf(rest)?.()
    return true
  } as ServerResponse['write']
  res.end = function (...args: unknown[]): ServerResponse {
    head()
    recording.body.add(args[0], args[1])
    if (!detached) {
      const result = end(...args)
      recording.finish(false)
      return result
    }
    recording.finish(false)
    callbackOf(args)?.()
    res.emit('finish')
    // Lets middleware release what they hold for the response (compression's zlib stream).
    res.emit('close')
    return res
  } as ServerResponse['end']
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
