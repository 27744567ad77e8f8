import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import handleConfig from 'http-cache-tests/server/handle-config.mjs'
import handleState from 'http-cache-tests/server/handle-state.mjs'
import handleTest from 'http-cache-tests/server/handle-test.mjs'
import { configs, stash } from 'http-cache-tests/server/utils.mjs'

/**
 * The suite's origin server, built from its own request handlers and dispatched exactly as its
 * server/server.mjs dispatches them (`/config/<uuid>`, `/test/<uuid>`, `/state/<uuid>`), but
 * listening on 127.0.0.1 only (server.mjs binds every interface and writes a pid file into the
 * working directory). The static file handler, which serves the browser runner, is left out.
 */
export interface Origin {
  readonly url: string
  close(): Promise<void>
}

/** Start the origin on a free loopback port. */
export async function startOrigin(): Promise<Origin> {
  const server = createServer(dispatch)
  server.keepAliveTimeout = 5_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => closeOrigin(server) }
}

function dispatch(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://localhost/')
  const segments = url.pathname.split('/')
  segments.shift()
  const route = segments.shift()
  if (route === 'config') handleConfig(segments, request, response)
  else if (route === 'test') handleTest(segments, request, response)
  else if (route === 'state') handleState(segments, request, response)
  else {
    response.writeHead(404, { 'content-type': 'text/plain' })
    response.end('not found\n')
  }
}

async function closeOrigin(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  await closed
  // The handlers keep every test's configuration and requests in module-level maps.
  configs.clear()
  stash.clear()
}
