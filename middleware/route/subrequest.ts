import { IncomingMessage, ServerResponse } from 'node:http'
import type { CapturedResponse } from './capture.js'
import { captureResponse } from './capture.js'
import type { RouteRequest } from './key.js'

/**
 * Background revalidation: when a stale response is served at once (stale-while-revalidate) or
 * kept in reserve (stale-if-error), the origin runs on a copy of the request dispatched through
 * the application again, like an nginx subrequest, and its response is captured instead of
 * being sent anywhere. Middleware ahead of the cache (auth, logging) runs again for it.
 */

/**
 * The slots of running subrequests, by request: the route cache captures a subrequest at its own
 * position in the chain. One registry per process (every copy of herdlock loaded shares it). A
 * WeakMap, not a mark on the request: every request asks, and a property the request lacks is
 * looked up along its whole prototype chain.
 */
type Slots = WeakMap<IncomingMessage, SubrequestSlot>
const registry = globalThis as unknown as Record<symbol, Slots | undefined>
const SLOTS: Slots = (registry[Symbol.for('herdlock.subrequests')] ??= new WeakMap())

/** What a route cache finds on a subrequest. */
export interface SubrequestSlot {
  /** Hand over the response captured at the route cache's position. */
  capture(response: Promise<CapturedResponse>): void
}

interface ExpressApp {
  handle(req: IncomingMessage, res: ServerResponse, done: (error?: unknown) => void): void
  parent?: ExpressApp
}

/** The slot of a subrequest, if `req` is one. */
export function subrequestSlot(req: IncomingMessage): SubrequestSlot | undefined {
  return SLOTS.get(req)
}

/** Whether background revalidation is possible for this request (an Express app is behind it). */
export function canSubrequest(req: IncomingMessage): boolean {
  return rootApp(req) !== undefined
}

/** Run a copy of `req` through the application; resolves with the response it produced. */
export function runSubrequest(req: RouteRequest, maxBytes: number): Promise<CapturedResponse> {
  const app = rootApp(req)
  if (app === undefined)
    return Promise.reject(new Error('no Express application to re-run the request'))
  const copy = new IncomingMessage(req.socket)
  copy.method = 'GET'
  copy.url = req.originalUrl ?? req.url ?? '/'
  copy.httpVersion = req.httpVersion
  copy.headers = withoutValidators(req.headers)
  copy.push(null) // a GET has no body: end the stream at once
  const res = new ServerResponse(copy)
  // Watches the whole chain, for responses sent before the route cache is reached (a 401 from
  // an auth middleware, an error page): the route's own capture takes precedence when it runs.
  const outer = captureResponse(res, { maxBytes, detached: true })
  return new Promise((resolve, reject) => {
    // Whichever capture sees the end first answers: the route's own when the request reaches
    // it (its capture does not pass the end on), the outer one otherwise.
    const slot: SubrequestSlot = {
      capture: (response) => void response.then(resolve, reject),
    }
    SLOTS.set(copy, slot)
    outer.then(resolve, reject)
    try {
      // Express calls this only when nothing answered (404) or a handler failed: answer as
      // its final handler would, so whichever capture is in place sees the end.
      app.handle(copy, res, (error?: unknown) => {
        if (res.headersSent) return
        res.statusCode = error === undefined ? 404 : 500
        res.end()
      })
    } catch (error) {
      reject(error)
    }
  })
}

function rootApp(req: IncomingMessage): ExpressApp | undefined {
  let app = (req as unknown as { app?: ExpressApp }).app
  if (app === undefined || typeof app.handle !== 'function') return undefined
  while (app.parent !== undefined && typeof app.parent.handle === 'function') app = app.parent
  return app
}

/** The subrequest must fetch a full response, never a 304 for the client's validators. */
function withoutValidators(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  const copy = { ...headers }
  delete copy['if-none-match']
  delete copy['if-modified-since']
  delete copy['if-match']
  delete copy['if-unmodified-since']
  delete copy['if-range']
  delete copy['range']
  return copy
}
