import { expect } from 'chai'
import type { DistributedLock } from '../../src/lock/lock.js'
import { uniquePrefix } from '../support/redis.js'
import { sleep } from '../support/wait.js'

/** The Lock seam's contract, run against the in-process lock and Redlock. */
export function describeLockContract(name: string, open: () => Promise<DistributedLock>): void {
  describe(`Lock contract: ${name}`, () => {
    let lock: DistributedLock
    let resource: string

    beforeEach(async () => {
      lock = await open()
      resource = `${uniquePrefix('lock')}:l:{r}`
    })
    afterEach(() => lock.close())

    it('grants a free resource once; contention is a value, not an error', async () => {
      const held = await lock.tryAcquire(resource, 5_000)
      expect(held).to.not.equal(undefined)
      expect(await lock.tryAcquire(resource, 5_000)).to.equal(undefined)
      await held!.release()
      const again = await lock.tryAcquire(resource, 5_000)
      expect(again).to.not.equal(undefined)
      await again!.release()
    })

    it('tells how long the holder still has, and 0 when free', async () => {
      expect(await lock.remaining(resource)).to.equal(0)
      const held = await lock.tryAcquire(resource, 2_000)
      const remaining = await lock.remaining(resource)
      expect(remaining).to.be.within(1_500, 2_000)
      await held!.release()
      expect(await lock.remaining(resource)).to.equal(0)
    })

    it('extends a held lock and refuses to extend a lost one', async () => {
      const held = await lock.tryAcquire(resource, 300)
      expect(await held!.extend(3_000)).to.equal(true)
      expect(await lock.remaining(resource)).to.be.above(2_000)
      await held!.release()
      const short = await lock.tryAcquire(resource, 40)
      // Expiry is the lock server's clock: only time can pass it.
      await sleep(80)
      const taker = await lock.tryAcquire(resource, 5_000)
      expect(taker).to.not.equal(undefined)
      expect(await short!.extend(5_000)).to.equal(false)
      await short!.release() // releasing a lost lock is harmless and must not free the new holder
      expect(await lock.remaining(resource)).to.be.above(4_000)
      await taker!.release()
    })

    it('reports healthy nodes and a quorum', async () => {
      const health = await lock.health()
      expect(health.quorum).to.equal(true)
      expect(health.nodes.every((node) => node.up)).to.equal(true)
    })
  })
}
