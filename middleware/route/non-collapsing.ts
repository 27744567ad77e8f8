import type { ServerResponse } from 'node:http'
import type { Cache } from '../../src/core.js'
import { parseCacheControl } from '../http/cache-control.js'
import { captureResponse } from './capture.js'
import { replay } from './replay.js'
import { bypassed, hitLabel, labelResponse, type RouteBypassReason } from './cache-status.js'
import { keyFor } from './origin.js'
import { pathTag, targetPath, type RouteRequest, type UrlParts } from './key.js'
import type { RouteSettings } from './options.js'
import { allowsAuthorized, decideStore, varyList } from '../http/storability.js'
import { isRouteValue, toStored, type StoredResponse } from './stored-response.js'

type Next = (error?: unknown) => void

/**
 * The paths that do not collapse on the lock: bypasses, unsafe methods (and the invalidation
 * they trigger), HEAD (served from the GET entry, never stored from), and requests carrying
 * Authorization (shared entries only when the response says so, RFC 9111 3.5).
 */
export function nonCollapsingHandlers(cache: Cache, settings: RouteSettings) {
  const namespace = settings.namespace

  const bypass = (res: ServerResponse, next: Next, reason: RouteBypassReason): void => {
    labelResponse(res, bypassed(cache, namespace, reason))
    next()
  }

  /** The stored, fresh response for a request, following a vary pointer; no computation. */
  const peek = async (req: RouteRequest, parts: UrlParts, key: string) => {
    const entry = await cache.getEntry(key, { namespace })
    let value = entry?.value
    let freshUntil = entry?.freshUntil ?? 0
    if (isRouteValue(value) && value.kind === 'vary') {
      const variant = await cache.getEntry(keyFor({ settings, req, parts }, value.names), {
        namespace,
      })
      value = variant?.value
      freshUntil = variant?.freshUntil ?? 0
    }
    return isRouteValue(value) && value.kind === 'response' && value.stored
      ? { response: value, freshUntil }
      : undefined
  }

  const head = async (
    req: RouteRequest,
    res: ServerResponse,
    next: Next,
    parts: UrlParts,
    key: string,
  ) => {
    const found = await peek(req, parts, key)
    if (found === undefined) return bypass(res, next, 'head-miss')
    replay(req, res, found.response, hitLabel(found.freshUntil))
  }

  const authorized = async (
    req: RouteRequest,
    res: ServerResponse,
    next: Next,
    parts: UrlParts,
    key: string,
  ) => {
    const found = await peek(req, parts, key)
    if (
      found !== undefined &&
      allowsAuthorized(parseCacheControl(found.response.headers['cache-control']))
    ) {
      return replay(req, res, found.response, hitLabel(found.freshUntil))
    }
    labelResponse(res, bypassed(cache, namespace, 'authorization'))
    const captured = captureResponse(res, { maxBytes: settings.maxBodySize })
    next()
    await storeIfShared(parts, key, await captured)
  }

  /** A response to an Authorization request is stored only if it is explicitly shareable. */
  const storeIfShared = async (
    parts: UrlParts,
    key: string,
    captured: Awaited<ReturnType<typeof captureResponse>>,
  ) => {
    const now = Date.now()
    const decision = decideStore(
      captured,
      { statuses: settings.statuses, sharedAuthorization: true },
      now,
    )
    const extraVary = varyList(captured.headers['vary']).some(
      (name) => !settings.vary.includes(name),
    )
    if (!decision.store || extraVary) {
      cache.emit('cache:skip', {
        namespace,
        reason: decision.store ? 'vary-star' : decision.reason,
      })
      return
    }
    const ttl = (settings.originTtl ? decision.originTtlMs : undefined) ?? settings.ttlMs
    const stored: StoredResponse = toStored(captured, true, now)
    await cache.set(key, stored, {
      namespace,
      ...(ttl === undefined ? {} : { ttl }),
      tags: [pathTag(namespace, parts.path)],
    })
  }

  /** POST, PUT, PATCH, DELETE...: pass through; optionally invalidate the target (RFC 9111 4.4). */
  const unsafe = (req: RouteRequest, res: ServerResponse, next: Next): void => {
    if (settings.invalidateOnUnsafe) {
      res.once('finish', () => {
        if (res.statusCode >= 400) return
        const paths = [targetPath(req.originalUrl ?? req.url ?? '/'), ...sameOriginPaths(req, res)]
        cache
          .invalidate({ tags: paths.map((path) => pathTag(namespace, path)) })
          .catch(() => undefined)
      })
    }
    bypass(res, next, 'method')
  }

  return { bypass, head, authorized, unsafe }
}

/** Location and Content-Location paths on the same origin (RFC 9111 4.4 allows them). */
function sameOriginPaths(req: RouteRequest, res: ServerResponse): string[] {
  const host = req.headers.host
  const paths: string[] = []
  for (const name of ['location', 'content-location']) {
    const value = res.getHeader(name)
    if (typeof value !== 'string') continue
    try {
      const url = new URL(value, `http://${host ?? 'localhost'}`)
      if (url.host === (host ?? 'localhost')) paths.push(url.pathname)
    } catch {
      // not a URL: nothing to invalidate
    }
  }
  return paths
}
