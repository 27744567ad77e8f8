import { RedisStore } from '../../src/store/redis-store.js'
import { describeStoreContract } from '../contract/store-contract.js'
import { sharedRedisUrl } from '../support/redis.js'

describeStoreContract('redis', async () => {
  const store = new RedisStore(sharedRedisUrl(), {
    commandTimeoutMs: 2_000,
    onError: () => undefined,
  })
  await store.ping()
  return { store, dispose: () => store.close() }
})
