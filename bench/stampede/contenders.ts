import KeyvRedis from '@keyv/redis'
import { createCache as createCacheManager } from 'cache-manager'
import { Keyv } from 'keyv'
import { createCache } from '../../src/index.js'
import { bento } from '../support/clients.js'

/** The libraries a stampede worker can run, behind one small interface. */
export const LIBRARIES = ['herdlock', 'bentocache', 'cache-manager'] as const
export type Library = (typeof LIBRARIES)[number]

export function isLibrary(name: unknown): name is Library {
  return LIBRARIES.some((library) => library === name)
}

/** Display names for the result tables. */
export const LIBRARY_NAMES: Record<Library, string> = {
  herdlock: 'herdlock cacheFn',
  bentocache: 'BentoCache L2 getOrSet',
  'cache-manager': 'cache-manager 7 wrap',
}

/** Get-or-compute through one library, plus how to close everything it opened. */
export interface Contender {
  call(key: string, fn: () => Promise<unknown>): Promise<unknown>
  close(): Promise<void>
}

const TTL_MS = 3_600_000

export function openContender(library: Library, url: string): Contender {
  switch (library) {
    case 'herdlock':
      return herdlock(url)
    case 'bentocache':
      return bentocache(url)
    case 'cache-manager':
      return cacheManager(url)
  }
}

function herdlock(url: string): Contender {
  const cache = createCache({ redis: url, prefix: 'bench-stampede' })
  return {
    call: (key, fn) => cache.cacheFn(key, fn, { ttl: TTL_MS }),
    close: () => cache.close(),
  }
}

function bentocache(url: string): Contender {
  const b = bento(url, 'bench-stampede-bento', 'l2')
  return {
    call: (key, fn) => b.cache.getOrSet({ key, factory: fn, ttl: TTL_MS }),
    close: () => b.disconnect(),
  }
}

function cacheManager(url: string): Contender {
  const cache = createCacheManager({
    stores: [new Keyv({ store: new KeyvRedis(url), namespace: 'bench-stampede-cm' })],
  })
  return {
    call: (key, fn) => cache.wrap(key, fn, TTL_MS),
    close: async () => {
      await cache.disconnect()
    },
  }
}

/** Parent → worker: run one stampede round on `key`, counting runs at `counter`; or exit. */
export type ToWorker =
  | {
      readonly type: 'go'
      readonly key: string
      readonly counter: string
      /** The parent's wall clock (ms, sub-ms precision) when it sent go. */
      readonly at: number
      readonly calls: number
      readonly fnMs: number
    }
  | { readonly type: 'exit' }

/** Worker → parent. Latencies are ms from the parent's `at`; `lag` is go's delivery delay. */
export type FromWorker =
  | { readonly type: 'ready' }
  | {
      readonly type: 'done'
      readonly latencies: number[]
      readonly errors: string[]
      readonly lag: number
    }

/** Wall clock in ms with sub-ms precision, comparable across processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now()
}
