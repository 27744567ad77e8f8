import { MemoryStore } from '../../src/index.js'
import { describeFnContract } from '../contract/fn-contract.js'

describeFnContract('memory store (instances share one MemoryStore)', () => ({
  store: new MemoryStore(),
}))
