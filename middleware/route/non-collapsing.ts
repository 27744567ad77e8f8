import type { ServerResponse } from 'node:http'
import { captureResponse } from './capture.js'
import {
  bypassed,
  hitLabel,
  labelResponse,
  type ResponseLabel,
  type RouteBypassReason,
} from './cache-status.js'
import { replayAccepted, storedAnswer } from './stored-answer.js'
import { collectTags, refusal, type Produced } from './origin.js'
import { pathTag, type RouteRequest, type UrlParts } from './key.js'
import { invalidateBeforeEnd } from './unsafe.js'
import type { Credential } from './credentials.js'
import type { RouteScope } from './route-context.js'
import { freshForCredentials, varyList } from '../http/storability.js'
import { toStored } from './stored-response.js'
import { peek, timesOf, type Found } from './peek.js'
import { gatewayTimeout } from './gateway-timeout.js'
import { satisfies, type ClientDirectives } from '../http/request-directives.js'

/**
 * The paths that do not collapse on the lock: bypasses, unsafe methods (and the invalidation
 * they trigger), HEAD (served from the GET entry, never stored from), and requests carrying a
 * credential the key does not hold (shared entries only when the response says so, RFC 9111
 * 3.5, and only while it is fresh by its own headers).
 */

type Next = (error?: unknown) => void

/** Where a HEAD or credentialed request's entry is, its credential and directives. */
interface PeekPlan {
  readonly parts: UrlParts
  readonly key: string
  readonly credential?: Credential | undefined
  readonly directives: ClientDirectives | undefined
}

/** Past the cache, counted and labelled with the reason; the handler answers. */
export function bypass(
  scope: RouteScope,
  res: ServerResponse,
  next: Next,
  reason: RouteBypassReason,
): void {
  labelResponse(res, bypassed(scope.cache, scope.settings.namespace, reason))
  next()
}

/** HEAD: answered from the GET entry (a credentialed one only from a shareable, fresh entry). */
export async function serveHead(
  scope: RouteScope,
  req: RouteRequest,
  res: ServerResponse,
  next: Next,
  plan: PeekPlan,
): Promise<void> {
  if (await answeredFromStore(scope, { req, res }, plan)) return
  bypass(scope, res, next, 'head-miss')
}

/**
 * A request carrying a credential the key does not hold (Authorization, a personal Cookie):
 * served from a stored response only when that response is explicitly shareable and fresh
 * by its own headers; otherwise the origin answers, and its response is stored only under
 * the same rule, for its own lifetime.
 */
export async function serveCredentialed(
  scope: RouteScope,
  req: RouteRequest,
  res: ServerResponse,
  next: Next,
  plan: PeekPlan & { readonly credential: Credential },
): Promise<void> {
  if (await answeredFromStore(scope, { req, res }, plan)) return
  labelResponse(res, bypassed(scope.cache, scope.settings.namespace, plan.credential))
  if (plan.directives?.noStore === true) return next()
  const captured = captureResponse(res, { maxBytes: scope.settings.maxBodySize })
  next()
  const response = await captured
  await storeIfShared(scope, plan.parts, plan.key, { req, res, response })
}

/**
 * POST, PUT, PATCH, DELETE and any unknown method: pass through; optionally invalidate the
 * target and its same-origin Location/Content-Location before the response completes
 * (RFC 9111 4.4).
 */
export function passUnsafe(
  scope: RouteScope,
  req: RouteRequest,
  res: ServerResponse,
  next: Next,
): void {
  const { cache, settings } = scope
  if (settings.invalidateOnUnsafe) {
    invalidateBeforeEnd(req, res, (paths) =>
      cache.invalidate({ tags: paths.map((path) => pathTag(settings.namespace, path)) }),
    )
  }
  bypass(scope, res, next, 'method')
}

/** A response to a credentialed request is stored only if it is explicitly shareable. */
async function storeIfShared(
  scope: RouteScope,
  parts: UrlParts,
  key: string,
  produced: Produced,
): Promise<void> {
  const { cache, settings } = scope
  const now = Date.now()
  const verdict = refusal(settings, produced, true)
  const { response } = produced
  const extraVary = varyList(response.headers['vary']).some((name) => !settings.vary.includes(name))
  if (typeof verdict === 'string' || extraVary) {
    cache.emit('cache:skip', {
      namespace: settings.namespace,
      reason: typeof verdict === 'string' ? verdict : 'vary-star',
    })
    return
  }
  await cache.set(key, toStored(response, true, now, verdict.initialAgeMs), {
    namespace: settings.namespace,
    ...(verdict.ttlMs === undefined ? {} : { ttl: verdict.ttlMs }),
    tags: collectTags(settings, parts, response),
  })
}

/**
 * Answer a HEAD or credentialed request without the origin when it can be: a stored response
 * that may answer it, or, for `only-if-cached`, a 504. False when the origin must answer.
 */
async function answeredFromStore(
  scope: RouteScope,
  exchange: { readonly req: RouteRequest; readonly res: ServerResponse },
  plan: PeekPlan,
): Promise<boolean> {
  const found = await peek(scope, exchange.req, plan, { stale: anonymousWithDirectives(plan) })
  const label = found === undefined ? undefined : answerFor(scope, found, plan)
  if (found !== undefined && label !== undefined) {
    replayAccepted(scope, exchange, found, label)
    return true
  }
  if (plan.directives?.onlyIfCached !== true) return false
  gatewayTimeout(exchange.res)
  return true
}

/** Whether a request may see stale entries: only an anonymous one, with directives. */
function anonymousWithDirectives(plan: PeekPlan): boolean {
  return plan.directives !== undefined && plan.credential === undefined
}

/**
 * How a stored response answers a HEAD or credentialed request, or undefined when it may not:
 * without a credential, as a GET with the same directives would be answered (fresh, or as they
 * allow); with one, only a shareable response fresh by its own headers, and never stale.
 */
function answerFor(scope: RouteScope, found: Found, plan: PeekPlan): ResponseLabel | undefined {
  const now = Date.now()
  const { directives } = plan
  if (plan.credential === undefined) {
    if (directives !== undefined) return storedAnswer(scope.settings, found, directives, now)
    return found.freshUntil > now ? hitLabel(found.freshUntil) : undefined
  }
  if (directives !== undefined && !satisfies(directives, timesOf(found), now)) return undefined
  const { response } = found
  const times = { storedAt: response.storedAt, initialAgeMs: response.initialAgeMs ?? 0 }
  return freshForCredentials(response.headers, times, now) ? hitLabel(found.freshUntil) : undefined
}
