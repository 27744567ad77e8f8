import type { ServerResponse } from 'node:http'
import { SURROGATE_CAPABILITY } from '../http/targeted.js'
import type { RouteRequest } from './key.js'
import type { Next } from './route-context.js'
import { withholdTargeted } from './withheld.js'

/**
 * `next`, called once: the request goes to the handler, whose response then never shows the
 * cache-only fields. In shared mode (`announce`), the handler is told it may target herdlock in
 * Surrogate-Control (`max-age=60;herdlock`). Hits never get here: their path is the same in
 * both modes.
 */
export function onceNext(
  next: (error?: unknown) => void,
  res: ServerResponse,
  announce: RouteRequest | undefined,
): Next {
  const once = ((error?: unknown) => {
    if (once.called) return
    once.called = true
    if (announce !== undefined) announceSurrogate(announce)
    withholdTargeted(res)
    next(error)
  }) as Next
  once.called = false
  return once
}

/** Tell the handler it may target herdlock in Surrogate-Control (shared mode). */
export function announceSurrogate(req: RouteRequest): void {
  const seen = [req.headers['surrogate-capability'] ?? []].flat().filter((item) => item !== '')
  req.headers['surrogate-capability'] = [...seen, SURROGATE_CAPABILITY].join(', ')
}
