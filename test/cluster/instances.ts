import { createCluster } from 'redis'
import { createCache, type Cache, type CacheOptions } from '../../src/index.js'
import { LocalCluster } from '../support/local-cluster.js'

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

  /** Close every cache opened, then destroy their clients. */
  async close(): Promise<void> {
    await Promise.all(this.#caches.splice(0).map((cache) => cache.close()))
    for (const client of this.#clients.splice(0)) client.destroy()
  }
}

/**
 * Mocha hooks for a suite that fails masters over: its own cluster (3 masters with a replica
 * each, node timeout 1 s, and, as a cache cluster runs, `cluster-require-full-coverage no`, so
 * the healthy masters keep serving while one slot range has none), and the instances opened on
 * it, all closed after the suite. Returns the cluster once `before` ran.
 */
export function useFailoverCluster(opened: ClusterInstances): () => LocalCluster {
  let cluster: LocalCluster | undefined
  before(async () => {
    cluster = await LocalCluster.start({
      masters: 3,
      replicas: 1,
      nodeTimeoutMs: 1_000,
      requireFullCoverage: false,
    })
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
