import type { ServerResponse } from 'node:http'
import { HERDLOCK_FIELD } from '../http/targeted.js'

/**
 * Cache-only response fields (`Herdlock-Cache-Control`): the handler speaks to herdlock with
 * them; they are read when the response's head is written and never reach the client.
 */

type Headers = Record<string, string | string[]>
type WriteHead = (...args: unknown[]) => ServerResponse

const withheldValues = new WeakMap<ServerResponse, Headers>()

/** Move the cache-only fields out of the response (kept for the capture of this response). */
export function takeWithheld(res: ServerResponse): void {
  const value = res.getHeader(HERDLOCK_FIELD)
  if (value === undefined) return
  const text = Array.isArray(value) ? value.map(String) : String(value)
  withheldValues.set(res, { [HERDLOCK_FIELD]: text })
  res.removeHeader(HERDLOCK_FIELD)
}

export function withheldOf(res: ServerResponse): Headers {
  takeWithheld(res)
  return withheldValues.get(res) ?? {}
}

/**
 * Never let the cache-only fields reach the client, on any path to the handler (captured or
 * not): removed when the response's head is written.
 */
export function withholdTargeted(res: ServerResponse): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const writeHead = res.writeHead as unknown as WriteHead
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (res.headersSent) return writeHead.apply(this, args)
    const rest = applyHeaderArguments(res, args)
    takeWithheld(res)
    return writeHead.apply(this, rest)
  }
}

/**
 * Apply the status and headers given to `writeHead(status, [message], [headers])` to the
 * response (as `on-headers` does), so that they can be read, and hooks see them; returns the
 * arguments left to pass on.
 */
export function applyHeaderArguments(res: ServerResponse, args: unknown[]): unknown[] {
  const at = typeof args[1] === 'string' ? 2 : 1
  const headers: unknown = args[at]
  if (typeof args[0] === 'number') res.statusCode = args[0]
  if (Array.isArray(headers)) {
    const list = headers as unknown[]
    const pairs: unknown[][] = Array.isArray(list[0])
      ? (list as unknown[][])
      : Array.from({ length: list.length / 2 }, (_, i) => list.slice(2 * i, 2 * i + 2))
    const values = new Map<string, string[]>()
    for (const [name, value] of pairs) {
      if (typeof name !== 'string' || name === '') continue
      values.set(name, [...(values.get(name) ?? []), ...[value].flat().map(String)])
    }
    for (const [name, list] of values) res.setHeader(name, list.length === 1 ? list[0]! : list)
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) {
      if (name !== '' && value !== undefined) res.setHeader(name, value as string | string[])
    }
  }
  return args.slice(0, at)
}
