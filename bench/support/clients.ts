import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import type { Cache } from '../../src/index.js'

/** Helpers of the cacheFn benchmarks: contenders, N-way interleaving, result rows. */

const plainClient = (url: string) => createClient({ url })
/** A plain node-redis client. */
export type RawClient = ReturnType<typeof plainClient>

/** A connected plain node-redis client (the raw baseline); close it with `close()`. */
export async function rawClient(url: string): Promise<RawClient> {
  const client = plainClient(url)
  client.on('error', () => undefined)
  await client.connect()
  return client
}

/** One BentoCache instance over its own ioredis connection; `disconnect()` closes both. */
export interface Bento {
  readonly cache: BentoCache<{ cache: ReturnType<typeof bentostore> }>
  disconnect(): Promise<void>
}

/** BentoCache with its redis driver only (L2, no memory tier), or memory + redis (L1 + L2). */
export function bento(url: string, prefix: string, tiers: 'l2' | 'l1+l2'): Bento {
  const connection = new Redis(url, { lazyConnect: false })
  let store = bentostore()
  if (tiers === 'l1+l2') store = store.useL1Layer(memoryDriver({ maxSize: '16mb' }))
  store = store.useL2Layer(redisDriver({ connection }))
  const cache = new BentoCache({ default: 'cache', prefix, stores: { cache: store } })
  return {
    cache,
    disconnect: async () => {
      await cache.disconnectAll()
      connection.disconnect()
    },
  }
}

/**
 * Like `interleave` of ./support.js for any number of sides: each round runs every side once,
 * starting with a different side each round, so drift hits all sides alike.
 */
export async function rotate<T>(
  rounds: number,
  sides: readonly (() => Promise<T[]>)[],
): Promise<T[][]> {
  const all = sides.map((): T[] => [])
  for (let r = 0; r < rounds; r++) {
    for (let s = 0; s < sides.length; s++) {
      const index = (r + s) % sides.length
      const samples = await sides[index]!()
      all[index]!.push(...samples)
    }
  }
  return all
}

/** Counts the function runs a cache reports (`fn:run`), to prove hit benchmarks only hit. */
export function countRuns(cache: Cache): () => number {
  let runs = 0
  cache.on('fn:run', () => {
    runs++
  })
  return () => runs
}

/** Throw unless `actual` is deeply the same JSON as `expected` (bench setup sanity check). */
export function assertSame(what: string, actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`bench setup: ${what} did not return the stored value`)
  }
}
