import { createCache, type Cache, type CacheOptions } from '../../../src/index.js'
import { FaultProxy } from '../../support/fault-proxy.js'
import { startRedisNodes, stopNodes, uniquePrefix, type RedisNode } from '../../support/redis.js'

/** What a race suite uses: its Redis server, a prefix per test, caches and fault proxies. */
export interface RaceHarness {
  /** The suite's own Redis server (restarted after a test that stopped it). */
  readonly node: RedisNode
  /** This test's key prefix. */
  readonly prefix: string
  /** A cache on the suite's server (or `options.redis`), closed after the test. */
  open(options?: CacheOptions): Cache
  /** A fault proxy in front of the suite's server, closed after the test. */
  proxy(): Promise<FaultProxy>
}

/**
 * Register the mocha hooks of a race suite (call inside `describe`): one Redis server for the
 * suite, a fresh prefix per test, and every cache and proxy a test opened closed after it.
 */
export function raceHarness(name: string, defaults: CacheOptions): RaceHarness {
  let node: RedisNode | undefined
  let prefix = ''
  const caches: Cache[] = []
  const proxies: FaultProxy[] = []
  const started = (): RedisNode => {
    if (node === undefined) throw new Error('the race suite has not started its server yet')
    return node
  }
  before(async () => {
    ;[node] = (await startRedisNodes(1)) as [RedisNode]
  })
  after(() => stopNodes(node === undefined ? [] : [node]))
  beforeEach(() => {
    prefix = uniquePrefix(name)
  })
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()))
    await Promise.all(caches.splice(0).map((c) => c.close()))
    if (!started().running) await started().restart()
  })
  return {
    get node() {
      return started()
    },
    get prefix() {
      return prefix
    },
    open(options = {}) {
      const cache = createCache({ redis: started().url, prefix, ...defaults, ...options })
      cache.on('error', () => undefined)
      caches.push(cache)
      return cache
    },
    async proxy() {
      const p = await FaultProxy.start(started().url)
      proxies.push(p)
      return p
    },
  }
}
