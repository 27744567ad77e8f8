import { LocalLock } from '../../src/lock/local-lock.js'
import { describeLockContract } from '../contract/lock-contract.js'

describeLockContract('in-process', () => Promise.resolve(new LocalLock()))
