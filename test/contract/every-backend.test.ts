/**
 * One runner for the seam contracts and the cache behaviour suites: each backend below runs every
 * suite, so memory and Redis are held to the same behaviour by the same tests.
 */
import { MemoryStore, type CacheOptions, type DistributedLock } from '../../src/index.js'
import { LocalLock } from '../../src/lock/local-lock.js'
import { RedlockLock } from '../../src/lock/redlock-lock.js'
import { RedisStore } from '../../src/store/redis-store.js'
import { createCluster } from 'redis'
import { sharedCluster, type LocalCluster } from '../support/local-cluster.js'
import { sharedRedisUrl } from '../support/redis.js'
import { describeCacheContract } from './cache-contract.js'
import { describeFnContract } from './fn-contract.js'
import { describeL1Contract } from './l1-contract.js'
import { describeLockContract } from './lock-contract.js'
import { describeStoreContract, type StoreUnderTest } from './store-contract.js'

/** A backend: its Store, its Lock, and cache options that build instances sharing it. */
interface Backend {
  readonly name: string
  openStore(): Promise<StoreUnderTest>
  openLock(): Promise<DistributedLock>
  /** Options for caches on this backend; instances built from one call share their data. */
  cacheOptions(): CacheOptions
  /** Start what the backend needs before its suites, and stop it after. */
  setUp?(): Promise<void>
  tearDown?(): Promise<void>
}

/** A Redis Cluster (3 masters, 3 replicas) of local servers, and one client the caches share. */
const onCluster = {
  servers: undefined as LocalCluster | undefined,
  client: undefined as ReturnType<typeof createCluster> | undefined,
  get(): ReturnType<typeof createCluster> {
    if (this.client === undefined) throw new Error('the cluster backend is not set up')
    return this.client
  },
}

const BACKENDS: readonly Backend[] = [
  {
    name: 'memory',
    openStore: () => {
      const store = new MemoryStore()
      return Promise.resolve({ store, dispose: () => store.close() })
    },
    openLock: () => Promise.resolve(new LocalLock()),
    cacheOptions: () => ({ store: new MemoryStore() }),
  },
  {
    name: 'redis',
    openStore: async () => {
      const store = new RedisStore(sharedRedisUrl(), {
        commandTimeoutMs: 2_000,
        onError: () => undefined,
      })
      await store.ping()
      return { store, dispose: () => store.close() }
    },
    openLock: () =>
      Promise.resolve(
        new RedlockLock([sharedRedisUrl()], { commandTimeoutMs: 300, onError: () => undefined }),
      ),
    cacheOptions: () => ({ redis: sharedRedisUrl() }),
  },
  {
    name: 'redis-cluster',
    setUp: async () => {
      onCluster.servers = await sharedCluster()
      onCluster.client = createCluster({ rootNodes: onCluster.servers.rootNodes })
      onCluster.client.on('error', () => undefined)
      await onCluster.client.connect()
    },
    tearDown: () => {
      onCluster.client?.destroy()
      return Promise.resolve()
    },
    openStore: async () => {
      const store = new RedisStore(onCluster.get(), {
        commandTimeoutMs: 2_000,
        onError: () => undefined,
      })
      await store.ping()
      return { store, dispose: () => store.close() }
    },
    openLock: () =>
      Promise.resolve(
        new RedlockLock([onCluster.get()], { commandTimeoutMs: 300, onError: () => undefined }),
      ),
    cacheOptions: () => ({ redis: onCluster.get() }),
  },
]

for (const backend of BACKENDS) {
  describe(`backend: ${backend.name}`, function () {
    if (backend.setUp !== undefined) {
      before(async function () {
        this.timeout(60_000)
        await backend.setUp?.()
      })
    }
    if (backend.tearDown !== undefined) after(() => backend.tearDown?.())
    describeStoreContract(backend.name, () => backend.openStore())
    describeLockContract(backend.name, () => backend.openLock())
    describeCacheContract(backend.name, () => backend.cacheOptions())
    describeL1Contract(backend.name, () => backend.cacheOptions())
    describeFnContract(backend.name, () => backend.cacheOptions())
  })
}
