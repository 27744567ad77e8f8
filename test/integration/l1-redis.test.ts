import { describeL1Contract } from '../contract/l1-contract.js'
import { sharedRedisUrl } from '../support/redis.js'

describeL1Contract('redis', () => ({ redis: sharedRedisUrl() }))
