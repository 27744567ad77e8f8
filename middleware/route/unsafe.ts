import type { ServerResponse } from 'node:http'
import { targetPath, type RouteRequest } from './key.js'

/**
 * Invalidation after an unsafe request (RFC 9111 4.4): once the handler has given its status and
 * headers, and before its response can complete, the target URI and the same-origin `Location`
 * and `Content-Location` are invalidated. The response's body is held back (writes queue, with
 * backpressure) until the invalidation settled, so a client that reads the response and then
 * asks again can no longer be answered from the entry its own request changed.
 */

/** Invalidates the entries of these paths; settles once they are gone (or the store failed). */
export type InvalidatePaths = (paths: readonly string[]) => Promise<unknown>

type Call = (...args: unknown[]) => unknown

/** Hold `res` until the paths an unsafe request changed are invalidated (non-error statuses). */
export function invalidateBeforeEnd(
  req: RouteRequest,
  res: ServerResponse,
  invalidate: InvalidatePaths,
): void {
  const write = res.write.bind(res) as Call
  const end = res.end.bind(res) as Call
  let queue: (() => void)[] | undefined
  let started = false
  const start = (): void => {
    if (started) return
    started = true
    // 1xx are not final; 4xx and 5xx changed nothing (RFC 9111 4.4: non-error status codes).
    if (res.statusCode < 200 || res.statusCode >= 400) return
    const paths = [targetPath(req.originalUrl ?? req.url ?? '/'), ...sameOriginPaths(req, res)]
    const held: (() => void)[] = []
    queue = held
    void invalidate(paths)
      .catch(() => undefined)
      .then(() => {
        queue = undefined
        for (const call of held) call()
        res.emit('drain')
      })
  }
  res.write = function (...args: unknown[]): boolean {
    start()
    if (queue === undefined) return write(...args) as boolean
    queue.push(() => write(...args))
    return false
  } as ServerResponse['write']
  res.end = function (...args: unknown[]): ServerResponse {
    start()
    if (queue === undefined) return end(...args) as ServerResponse
    queue.push(() => end(...args))
    return res
  } as ServerResponse['end']
}

/**
 * Location and Content-Location paths on the same origin (RFC 9111 4.4 allows them), resolved
 * against the request's own URI (a relative reference is relative to it).
 */
export function sameOriginPaths(req: RouteRequest, res: ServerResponse): string[] {
  const host = req.headers.host ?? 'localhost'
  const paths: string[] = []
  for (const name of ['location', 'content-location']) {
    const value = res.getHeader(name)
    if (typeof value !== 'string') continue
    try {
      const base = new URL(targetPath(req.originalUrl ?? req.url ?? '/'), `http://${host}`)
      const url = new URL(value, base)
      if (url.host === base.host && /^https?:$/.test(url.protocol)) paths.push(url.pathname)
    } catch {
      // not a URL: nothing to invalidate
    }
  }
  return paths
}
