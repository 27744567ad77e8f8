import { IncomingMessage, ServerResponse, type IncomingHttpHeaders } from 'node:http'
import { Duplex } from 'node:stream'

/** A request handler as Node's server calls it (an Express app is one). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void

/** What an injected request got back. */
export interface Injected {
  readonly status: number
  readonly headers: Readonly<Record<string, unknown>>
  /** Bytes written to the socket: status line, header block and body. */
  readonly bytes: number
}

/**
 * Run one GET through a handler without a socket: Node's own IncomingMessage and
 * ServerResponse over a stream that counts and drops what is written. What it costs is the
 * handler's work and the serialization of the response, with no network and no client: the
 * figure in-process comparisons want.
 */
export function inject(
  handler: NodeHandler,
  path: string,
  headers: IncomingHttpHeaders = {},
): Promise<Injected> {
  return new Promise((resolve, reject) => {
    let bytes = 0
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length
        callback()
      },
    })
    const req = new IncomingMessage(socket as never)
    req.method = 'GET'
    req.url = path
    req.headers = { host: 'bench.local', ...headers }
    req.push(null)
    const res = new ServerResponse(req)
    res.assignSocket(socket as never)
    res.once('finish', () => {
      res.detachSocket(socket as never)
      socket.destroy()
      resolve({ status: res.statusCode, headers: res.getHeaders(), bytes })
    })
    res.once('error', reject)
    handler(req, res)
  })
}
