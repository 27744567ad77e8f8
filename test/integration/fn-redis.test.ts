import { describeFnContract } from '../contract/fn-contract.js'
import { sharedRedisUrl } from '../support/redis.js'

describeFnContract('redis + redlock', () => ({ redis: sharedRedisUrl() }))
