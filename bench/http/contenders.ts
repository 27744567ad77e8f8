import type { RequestHandler } from 'express'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { createCache } from '../../src/index.js'
import { cacheRoute } from '../../middleware/index.js'
import type { ContenderName } from './proto.js'

/**
 * The caching middleware of each HTTP contender, as its server process sets it up, plus how to
 * close what it opened. Entries live for an hour, so no entry expires during a run.
 *
 * apicache 1.6 and express-redis-cache 1.1 speak the callback API of node-redis 2/3 (`connected`,
 * `hgetall(key, cb)`); node-redis 4+ does not. Both use the node-redis 2.8 that
 * express-redis-cache bundles (node_modules/express-redis-cache/node_modules/redis), resolved
 * from express-redis-cache's own directory.
 */
export interface CachingMiddleware {
  readonly middleware: RequestHandler
  close(): Promise<void>
  /** Why the process may not end by itself after close() (a known leak of the library). */
  readonly leaks?: string
}

const TTL_SECONDS = 3600

interface LegacyRedisClient {
  readonly connected: boolean
  on(event: 'error' | 'connect', listener: (...args: unknown[]) => void): unknown
  quit(callback: () => void): unknown
}
interface LegacyRedis {
  createClient(port: number, host: string): LegacyRedisClient
}
interface ApicacheInstance {
  middleware(duration: string): RequestHandler
  clear(target?: string): unknown
  getIndex(): { all: string[] }
}
interface Apicache {
  newInstance(options?: Record<string, unknown>): ApicacheInstance
}
interface ExpressRedisCache {
  readonly connected: boolean
  readonly client: LegacyRedisClient
  route(options: { expire: number }): RequestHandler
  on(event: string, listener: (...args: unknown[]) => void): unknown
}
type ExpressRedisCacheFactory = (options: {
  host: string
  port: number
  prefix: string
  expire: number
}) => ExpressRedisCache

const require = createRequire(import.meta.url)

function legacyRedis(): LegacyRedis {
  const own = createRequire(require.resolve('express-redis-cache'))
  const path = own.resolve('redis')
  const version = (own('redis/package.json') as { version: string }).version
  if (!version.startsWith('2.') && !version.startsWith('3.')) {
    throw new Error(`bench: apicache needs node-redis 2/3, found ${version} at ${path}`)
  }
  return own('redis') as LegacyRedis
}

function hostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url)
  return { host: parsed.hostname, port: Number(parsed.port || 6379) }
}

async function connectedLegacy(url: string): Promise<LegacyRedisClient> {
  const { host, port } = hostPort(url)
  const client = legacyRedis().createClient(port, host)
  client.on('error', (error) => console.error('bench: legacy redis client:', error))
  if (!client.connected) await once(client as unknown as NodeJS.EventEmitter, 'ready')
  return client
}

const quit = (client: LegacyRedisClient): Promise<void> =>
  new Promise((resolve) => {
    client.quit(() => resolve())
  })

/**
 * Drop apicache's entries one by one: that also clears their expiry timers. Not all of them:
 * concurrent misses of one key each store it, and apicache overwrites the key's timers (its
 * own and its memory store's) without clearing the previous ones, so after the burst scenario
 * up to 2 × 99 one-hour timers are out of reach and keep the process alive.
 */
function clearApicache(instance: ApicacheInstance): void {
  for (const key of [...instance.getIndex().all]) instance.clear(key)
}

export async function openCaching(name: ContenderName, url: string): Promise<CachingMiddleware> {
  switch (name) {
    case 'plain':
    case 'floor':
      throw new Error(`bench: the ${name} contender has no caching middleware`)
    case 'herdlock':
    case 'herdlock-l1':
    case 'herdlock-shared': {
      const cache = createCache({
        redis: url,
        prefix: `bench-http-${name}`,
        ...(name === 'herdlock-l1' ? { l1: {} } : {}),
      })
      await cache.ready()
      const mode = name === 'herdlock-shared' ? 'shared' : 'default'
      const middleware: RequestHandler = cacheRoute(cache, { ttl: '1h', namespace: 'bench', mode })
      return { middleware, close: () => cache.close() }
    }
    case 'apicache-redis':
    case 'apicache-memory': {
      const apicache = require('apicache') as Apicache
      const client = name === 'apicache-redis' ? await connectedLegacy(url) : undefined
      const instance = apicache.newInstance(client === undefined ? {} : { redisClient: client })
      return {
        middleware: instance.middleware('1 hour'),
        leaks: 'apicache leaks its expiry timers when concurrent misses store one key',
        close: async () => {
          clearApicache(instance)
          if (client !== undefined) await quit(client)
        },
      }
    }
    case 'express-redis-cache': {
      const factory = require('express-redis-cache') as ExpressRedisCacheFactory
      const erc = factory({ ...hostPort(url), prefix: 'bench-http-erc', expire: TTL_SECONDS })
      erc.on('error', (error) => console.error('bench: express-redis-cache:', error))
      if (!erc.connected) await once(erc as unknown as NodeJS.EventEmitter, 'connected')
      return {
        middleware: erc.route({ expire: TTL_SECONDS }),
        close: () => quit(erc.client),
      }
    }
  }
}
