/**
 * Shared pieces of the adversarial suite: every attack runs against Express 5 and Express 4,
 * each with the memory store and with a real Redis server (the shared test server, a unique
 * prefix per test), over real sockets.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, brotliDecompressSync, inflateSync } from 'node:zlib'
import type { Express } from 'express'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
import { EXPRESS_VERSIONS } from '../http/apps.js'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'

/** The stores every attack is tried against. */
export const STORES: readonly { name: string; create: () => Cache }[] = [
  { name: 'memory store', create: () => createCache({ store: new MemoryStore() }) },
  {
    name: 'Redis',
    create: () => createCache({ redis: sharedRedisUrl(), prefix: uniquePrefix('adv') }),
  },
]

/** One Express version with one store. */
export interface Target {
  readonly name: string
  readonly createApp: () => Express
  readonly createCache: () => Cache
}

/** Every Express version crossed with every store. */
export const TARGETS: readonly Target[] = EXPRESS_VERSIONS.flatMap((express) =>
  STORES.map((store) => ({
    name: `${express.name}, ${store.name}`,
    createApp: express.create,
    createCache: store.create,
  })),
)

/** What one test of a target works with, fresh for every test and closed after it. */
export interface TargetFixture {
  /** This test's cache. */
  readonly cache: Cache
  /** This test's app, nothing mounted yet. */
  readonly app: Express
  /** This test's temporary directory (only with `tempDir`), removed after it. */
  readonly dir: string
  /** Listen with the app; the server is closed after the test. */
  start(): Promise<Live>
}

/**
 * Register, in the current suite, a fresh cache and app on `target` for every test, closed after
 * it with the servers `start()` opened (and, with `tempDir`, a temporary directory of that prefix).
 */
export function useTarget(target: Target, options: { tempDir?: string } = {}): TargetFixture {
  let current: { cache: Cache; app: Express; dir: string; servers: Live[] } | undefined
  beforeEach(() => {
    const dir = options.tempDir === undefined ? '' : mkdtempSync(join(tmpdir(), options.tempDir))
    current = { cache: target.createCache(), app: target.createApp(), dir, servers: [] }
  })
  afterEach(async () => {
    const test = current
    current = undefined
    for (const live of test?.servers ?? []) await live.close()
    await test?.cache.close()
    if (test?.dir) rmSync(test.dir, { recursive: true, force: true })
  })
  const now = (): NonNullable<typeof current> => {
    if (current === undefined) throw new Error('useTarget: used outside a test')
    return current
  }
  return {
    get cache() {
      return now().cache
    },
    get app() {
      return now().app
    },
    get dir() {
      return now().dir
    },
    start: async () => {
      const test = now()
      const live = await Live.start(test.app)
      test.servers.push(live)
      return live
    },
  }
}

/** A finished response, body exactly as sent. */
export interface RawResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  readonly text: string
}

/** A listening app and raw HTTP requests to it (no client-side decoding, real aborts). */
export class Live {
  readonly #server: Server

  private constructor(server: Server) {
    this.#server = server
  }

  static async start(app: Express): Promise<Live> {
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    return new Live(server)
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port
  }

  /** Send a request and read the whole response. */
  get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
    return this.send(path, headers, method).response
  }

  /** Send a request; `abort()` destroys its socket (the client leaves). */
  send(
    path: string,
    headers: Record<string, string> = {},
    method = 'GET',
  ): { response: Promise<RawResponse>; abort: () => void } {
    const req = httpRequest({
      host: '127.0.0.1',
      port: this.port,
      path,
      method,
      headers,
      agent: false,
    })
    const response = new Promise<RawResponse>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text: readable(res.headers, body),
          })
        })
        res.on('error', reject)
      })
      req.on('error', reject)
    })
    req.end()
    return {
      response,
      abort: () => {
        response.catch(() => undefined)
        req.destroy()
      },
    }
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }
}

/** The body as a client reads it: decoded per Content-Encoding (throws when they disagree). */
export function decode(headers: IncomingHttpHeaders, body: Buffer): string {
  switch (headers['content-encoding']) {
    case 'gzip':
      return gunzipSync(body).toString()
    case 'br':
      return brotliDecompressSync(body).toString()
    case 'deflate':
      return inflateSync(body).toString()
    default:
      return body.toString()
  }
}

function readable(headers: IncomingHttpHeaders, body: Buffer): string {
  try {
    return decode(headers, body)
  } catch {
    return `<bytes that do not match Content-Encoding: ${String(headers['content-encoding'])}>`
  }
}

/** The value of a Set-Cookie header, joined. */
export function cookies(res: RawResponse): string {
  const value = res.headers['set-cookie']
  return value === undefined ? '' : value.join('; ')
}
