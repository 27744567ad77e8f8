import { MemoryStore } from '../../src/index.js'
import { describeL1Contract } from '../contract/l1-contract.js'

describeL1Contract('memory store', () => ({ store: new MemoryStore() }))
