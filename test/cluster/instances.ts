import { createCluster } from 'redis'
import { createCache, type Cache, type CacheOptions } from '../../src/index.js'
import type { LocalCluster } from '../support/local-cluster.js'

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
