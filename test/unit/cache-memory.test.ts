import { MemoryStore } from '../../src/index.js'
import { describeCacheContract } from '../contract/cache-contract.js'

describeCacheContract('memory store', () => ({ store: new MemoryStore() }))
