import { expect } from 'chai'
import { createCluster } from 'redis'
import { createCache, type Cache, type CacheOptions } from '../../src/index.js'
import { LocalCluster, type ClusterNode } from '../support/local-cluster.js'
import { uniquePrefix } from '../support/redis.js'

/**
 * Cache instances on a cluster, each on its own cluster client (as separate processes would
 * be), closed together: caches first, then their clients.
 */
export class ClusterInstances {
  readonly #clients: { destroy(): void }[] = []
  readonly #caches: Cache[] = []

  /** A cache on a new, connected client of `cluster`; errors are reported by its events. */
  async open(cluster: LocalCluster, options: CacheOptions): Promise<Cache> {
    const client = createCluster({ rootNodes: cluster.rootNodes })
    client.on('error', () => undefined)
    await client.connect()
    this.#clients.push(client)
    const cache = createCache({ ...options, redis: client })
    cache.on('error', () => undefined)
    this.#caches.push(cache)
    return cache
  }

  /** Two instances sharing a new prefix, each with an L1 tier, subscribed. */
  async openPair(cluster: LocalCluster, name: string): Promise<[Cache, Cache]> {
    const prefix = uniquePrefix(name)
    const both = await Promise.all([0, 1].map(() => this.open(cluster, { prefix, l1: {} })))
    await Promise.all(both.map((cache) => cache.ready()))
    return both as [Cache, Cache]
  }

  /** Close every cache opened, then destroy their clients. */
  async close(): Promise<void> {
    await Promise.all(this.#caches.splice(0).map((cache) => cache.close()))
    for (const client of this.#clients.splice(0)) client.destroy()
  }
}

/**
 * A cluster to fail masters over on: 3 masters with a replica each, node timeout 1 s, and, as a
 * cache cluster runs, `cluster-require-full-coverage no`, so the healthy masters keep serving
 * while one slot range has none.
 */
export function startFailoverCluster(): Promise<LocalCluster> {
  return LocalCluster.start({
    masters: 3,
    replicas: 1,
    nodeTimeoutMs: 1_000,
    requireFullCoverage: false,
  })
}

/**
 * Mocha hooks for a suite that fails masters over: its own `startFailoverCluster()`, and the
 * instances opened on it, all closed after the suite. Returns the cluster once `before` ran.
 */
export function useFailoverCluster(opened: ClusterInstances): () => LocalCluster {
  let cluster: LocalCluster | undefined
  before(async () => {
    cluster = await startFailoverCluster()
  })
  after(async () => {
    await opened.close()
    await cluster?.stop()
  })
  return () => {
    if (cluster === undefined) throw new Error('the cluster starts in before()')
    return cluster
  }
}

/** B holds `key` in its L1 tier (computed by A, read by B). */
export async function heldByB(a: Cache, b: Cache, key: string, value: string): Promise<void> {
  await a.cacheFn(key, () => value, { ttl: '10m' })
  expect(await b.cacheFn(key, () => 'never', { ttl: '10m' })).to.equal(value)
}

/** A master other than `owner`. */
export async function otherMaster(cluster: LocalCluster, owner: ClusterNode): Promise<ClusterNode> {
  for (let i = 0; ; i++) {
    const master = await cluster.masterOf(`{probe-${i}}`)
    if (master !== owner) return master
  }
}
