import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Express } from 'express'

/** What came back for one request sent byte for byte. */
export interface RawReply {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
}

/** One listening server (one port for every request) and a client that sends exact targets. */
export interface RawClient {
  /** Send `GET <target>` with exactly these headers (no Host is added when one is given). */
  get(target: string, headers?: Record<string, string>): Promise<RawReply>
  /** Stop the server and every connection. */
  close(): Promise<void>
}

/**
 * Listen once and send requests whose target and Host are exactly what the test wrote: clients
 * such as supertest normalise URLs (percent-encode quotes, drop fragments) and take a new port
 * for every request, which hides the very differences these tests are about.
 */
export async function rawClient(app: Express): Promise<RawClient> {
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  return {
    get: (target, headers = { host: 'site.example' }) =>
      new Promise((resolve, reject) => {
        const options = { host: '127.0.0.1', port, path: target, headers, setHost: false }
        const req = httpRequest({ ...options, agent: false }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          )
          res.on('error', reject)
        })
        req.on('error', reject)
        req.end()
      }),
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
