import type { IncomingMessage } from 'node:http'
import { InvalidOptionError } from '../../src/core.js'
import {
  asksAnything,
  readClientDirectives,
  type ClientDirectives,
} from '../http/request-directives.js'
import type { DirectivePermission, RequestDirectiveOptions } from './options.js'

/**
 * The `requestDirectives` option: validated once, then applied to each request (the directives
 * a client sent, less those the route does not let it use).
 */

/** Per directive family, whether this request may use it. */
export type DirectivePermissions = Readonly<
  Record<keyof RequestDirectiveOptions, (req: IncomingMessage) => boolean>
>

const FAMILIES = ['onlyIfCached', 'maxStale', 'noStore', 'revalidate'] as const
const ALWAYS = (): boolean => true
const NEVER = (): boolean => false

/** Validate `requestDirectives`; undefined when no directive is allowed (the default). */
export function resolveDirectivePermissions(value: unknown): DirectivePermissions | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return Object.freeze({ ...everyFamily(ALWAYS) })
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError('requestDirectives', 'must be a boolean or an object')
  }
  const options = value as Record<string, unknown>
  for (const name of Object.keys(options)) {
    if (!(FAMILIES as readonly string[]).includes(name)) {
      throw new InvalidOptionError(
        `requestDirectives.${name}`,
        `is not a directive family (${FAMILIES.join(', ')})`,
      )
    }
  }
  const permissions = everyFamily(NEVER)
  for (const name of FAMILIES) permissions[name] = checkPermission(options[name], name)
  return FAMILIES.some((name) => permissions[name] !== NEVER)
    ? Object.freeze(permissions)
    : undefined
}

/** The directives this request sent that the route lets it use; undefined when none. */
export function permittedDirectives(
  permissions: DirectivePermissions,
  req: IncomingMessage,
): ClientDirectives | undefined {
  const sent = readClientDirectives(req.headers)
  if (sent === undefined) return undefined
  const revalidate = permissions.revalidate(req)
  const kept: ClientDirectives = {
    noCache: sent.noCache && revalidate,
    noStore: sent.noStore && permissions.noStore(req),
    onlyIfCached: sent.onlyIfCached && permissions.onlyIfCached(req),
    ...(revalidate && sent.maxAgeMs !== undefined ? { maxAgeMs: sent.maxAgeMs } : {}),
    ...(revalidate && sent.minFreshMs !== undefined ? { minFreshMs: sent.minFreshMs } : {}),
    ...(sent.maxStaleMs !== undefined && permissions.maxStale(req)
      ? { maxStaleMs: sent.maxStaleMs }
      : {}),
  }
  return asksAnything(kept) ? kept : undefined
}

function everyFamily(
  each: (req: IncomingMessage) => boolean,
): Record<keyof RequestDirectiveOptions, (req: IncomingMessage) => boolean> {
  return { onlyIfCached: each, maxStale: each, noStore: each, revalidate: each }
}

function checkPermission(value: unknown, name: string): (req: IncomingMessage) => boolean {
  if (value === undefined || value === false) return NEVER
  if (value === true) return ALWAYS
  if (typeof value === 'function') {
    const predicate = value as Exclude<DirectivePermission, boolean>
    return (req) => predicate(req) === true
  }
  throw new InvalidOptionError(
    `requestDirectives.${name}`,
    'must be a boolean or a function (req) => boolean',
  )
}
