import { describeCacheContract } from '../contract/cache-contract.js'
import { sharedRedisUrl } from '../support/redis.js'

describeCacheContract('redis', () => ({ redis: sharedRedisUrl() }))
