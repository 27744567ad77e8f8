import { IncomingMessage, ServerResponse } from 'node:http'
import type { CapturedResponse } from './capture.js'
import { captureResponse } from './capture.js'
import type { RouteRequest } from './key.js'

/**
 * Background revalidation: when a stale response is served at once (stale-while-revalidate) or
 * kept in reserve (stale-if-error), the origin runs on a copy of the request dispatched through
 * the application again, like an nginx subrequest, and its response is captured instead of
 * being sent anywhere. Middleware ahead of the cache (auth, logging) runs again for it. The same
 * subrequest produces the shared response when the client whose request was fetching it left
 * before it was complete.
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

/** What a subrequest produced, with the request and response objects the app saw. */
export interface SubrequestResult {
  readonly response: CapturedResponse
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /**
   * Whether the route's own cache captured it (the route was reached), rather than the whole
   * chain's watch (something ahead of the route answered: an auth 401, a rate limiter's 429).
   */
  readonly reached: boolean
}

/** Which credentials a subrequest keeps: only those the route's key holds. */
export interface SubrequestCredentials {
  readonly authorization: boolean
  readonly cookie: boolean
}

/**
 * Run a copy of `req` through the application; resolves with the response it produced. The
 * copy is anonymous (no Authorization, no Cookie, unless `keep` says the route's key holds
 * them) and unconditional: what it produces is shared with every client of the key. Only the
 * cache makes it conditional (`conditional`: the validators of a response it holds).
 */
export function runSubrequest(
  req: RouteRequest,
  maxBytes: number,
  keep: SubrequestCredentials,
  conditional: Readonly<Record<string, string>> = {},
): Promise<SubrequestResult> {
  const app = rootApp(req)
  if (app === undefined)
    return Promise.reject(new Error('no Express application to re-run the request'))
  const copy = new IncomingMessage(req.socket)
  copy.method = 'GET'
  copy.url = req.originalUrl ?? req.url ?? '/'
  copy.httpVersion = req.httpVersion
  copy.headers = { ...sharedRequestHeaders(req.headers, keep), ...conditional }
  copy.push(null) // a GET has no body: end the stream at once
  // Complete, as a parsed request would be: else, once a handler has read it to the end (a
  // proxy piping it upstream), destroying the copy counts as an abort and destroys the socket
  // it shares with the client's own request.
  copy.complete = true
  const res = new ServerResponse(copy)
  // Watches the whole chain, for responses sent before the route cache is reached (a 401 from
  // an auth middleware, an error page): the route's own capture takes precedence when it runs.
  const outer = captureResponse(res, { maxBytes, detached: true })
  return new Promise((resolve, reject) => {
    let reached = false
    const done = (response: CapturedResponse): void =>
      resolve({ response, req: copy, res, reached })
    const slot: SubrequestSlot = {
      capture: (response) => {
        reached = true
        response.then(done, reject)
      },
    }
    SLOTS.set(copy, slot)
    outer.then((response) => {
      if (!reached) done(response)
    }, reject)
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

/** Request-shape and credential headers a shared (sub)request never carries. */
const NOT_SHARED = [
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'range',
]

/**
 * The subrequest must fetch a full response, never a 304 or 206 for the client's own headers,
 * and never as the user whose request triggered it.
 */
function sharedRequestHeaders(
  headers: IncomingMessage['headers'],
  keep: SubrequestCredentials,
): IncomingMessage['headers'] {
  const copy = { ...headers }
  for (const name of NOT_SHARED) delete copy[name]
  if (!keep.authorization) delete copy['authorization']
  if (!keep.cookie) delete copy['cookie']
  return copy
}
