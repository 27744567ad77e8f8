import type { CacheFnContext } from '../../src/core.js'
import { conditionalHeaders, freshenedHeaders } from '../http/freshening.js'
import type { CapturedResponse } from './capture.js'
import { keepUnfresh, keyFor, refusal, toRouteValue, type OriginContext } from './origin.js'
import {
  isRecord,
  recordKey,
  recordWritten,
  type RevalidationRecord,
} from './revalidation-record.js'
import { fromOrigin, ownAnswer, type OwnValue } from './origin-request.js'
import { toStored, type RouteValue } from './stored-response.js'
import { canSubrequest, runSubrequest, type SubrequestCredentials } from './subrequest.js'

/**
 * A miss in shared mode, when a stale response with a validator is kept for the key
 * (revalidation-record.ts): the origin is asked conditionally (RFC 9111 4.3.1), through a
 * subrequest, since the client's own request must get a full answer. A 304 refreshes the kept
 * response's header fields and freshness (4.3.3, 4.3.4) and it is stored again like any
 * response the origin sends; anything else is that response (`own`: the route's own complete
 * answer to this request, stored or not). Undefined when nothing is kept (or no Express application can
 * re-run the request): the request goes to the origin itself.
 */
export async function revalidateKept(
  origin: OriginContext,
  ctx: CacheFnContext<RouteValue>,
  limits: { readonly maxBytes: number; readonly keep: SubrequestCredentials },
): Promise<OwnValue | undefined> {
  if (!origin.settings.shared || !canSubrequest(origin.req)) return undefined
  const record = await keptRecord(origin)
  if (record === undefined) return undefined
  const conditional = conditionalHeaders(record.validators)
  const produced = fromOrigin(
    await runSubrequest(origin.req, limits.maxBytes, limits.keep, conditional),
  )
  if (produced.response.status !== 304) {
    return { value: await toRouteValue(origin, ctx, produced), own: ownAnswer(produced) }
  }
  return { value: await confirmed(origin, ctx, record, produced), own: false }
}

/** A 304 to the conditional request: the kept response, freshened, stored again if it may be. */
async function confirmed(
  origin: OriginContext,
  ctx: CacheFnContext<RouteValue>,
  record: RevalidationRecord,
  produced: Awaited<ReturnType<typeof runSubrequest>>,
): Promise<RouteValue> {
  const response = freshened(record, produced.response)
  const verdict = refusal(origin.settings, { ...produced, response }, false)
  if (verdict !== 'stale' && verdict !== 'no-freshness' && verdict !== 'no-cache') {
    return toRouteValue(origin, ctx, { ...produced, response })
  }
  // Confirmed, but never fresh (no-cache) or stale again at once (a past Expires): used for the
  // requests that waited for it, and kept for the next one to revalidate again.
  ctx.skip(verdict)
  const now = Date.now()
  keepUnfresh(origin, response, now)
  return { ...toStored(response, false, now), validated: true }
}

/** The record kept for this request's key, following a variant pointer once. */
async function keptRecord(origin: OriginContext): Promise<RevalidationRecord | undefined> {
  const namespace = origin.settings.namespace
  const read = async (key: string) => {
    await recordWritten(origin.cache, namespace, key)
    const value = (await origin.cache.getEntry(recordKey(key), { namespace }))?.value
    return isRecord(value) ? value : undefined
  }
  const found = await read(keyFor(origin, origin.keyVary))
  if (found?.kind !== 'revalidation-vary') return found
  if (origin.variant) return undefined
  const names = [...new Set([...origin.keyVary, ...found.names])].sort()
  const variant = await read(keyFor(origin, names))
  return variant?.kind === 'revalidation' ? variant : undefined
}

/**
 * The kept response as the origin now describes it: its body, the 304's fields (section 3.2).
 * A 304 whose handler set no `Date` went out with Node's, the time it was sent: the stored one
 * goes, and the time of the 304 takes its place (as for any response without one).
 */
function freshened(record: RevalidationRecord, notModified: CapturedResponse): CapturedResponse {
  const { date: _date, ...stored } = record.response.headers
  const base = notModified.headers['date'] === undefined ? stored : record.response.headers
  return {
    ...notModified,
    status: record.response.status,
    headers: freshenedHeaders(base, notModified.headers),
    wire: freshenedHeaders(base, notModified.wire),
    withheld: { ...record.withheld, ...notModified.withheld },
    removed: record.response.removed ?? [],
    body: record.response.body,
    bodyTooLarge: false,
    aborted: false,
  }
}
