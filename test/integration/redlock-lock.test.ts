import { expect } from 'chai'
import { LockError } from '../../src/errors.js'
import { RedlockLock } from '../../src/lock/redlock-lock.js'
import { describeLockContract } from '../contract/lock-contract.js'
import { startRedisNodes, stopNodes, uniquePrefix, type RedisNode } from '../support/redis.js'

const settings = { commandTimeoutMs: 300, onError: () => undefined }

// The Lock contract on one node runs in test/contract/every-backend.test.ts; here, three nodes.
describe('Redlock over three independent nodes', function () {
  this.timeout(20_000)
  let nodes: RedisNode[]
  let lock: RedlockLock
  let resource: string

  before(async () => {
    nodes = await startRedisNodes(3)
  })
  after(() => stopNodes(nodes))
  beforeEach(() => {
    lock = new RedlockLock(
      nodes.map((n) => n.url),
      settings,
    )
    resource = `${uniquePrefix('q')}:l:{r}`
  })
  afterEach(async () => {
    await lock.close()
    for (const node of nodes) {
      await node.resume()
      if (!node.running) await node.restart()
    }
  })

  describeLockContract('redlock, three nodes', () =>
    Promise.resolve(
      new RedlockLock(
        nodes.map((n) => n.url),
        settings,
      ),
    ),
  )

  it('keeps working with one node down (quorum 2 of 3)', async () => {
    await nodes[2]!.stop()
    const held = await lock.tryAcquire(resource, 5_000)
    expect(held).to.not.equal(undefined)
    expect(await lock.tryAcquire(resource, 5_000)).to.equal(undefined)
    expect(await lock.remaining(resource)).to.be.above(4_000)
    const health = await lock.health()
    expect(health.quorum).to.equal(true)
    expect(health.nodes.map((n) => n.up)).to.deep.equal([true, true, false])
    await held!.release()
  })

  it('keeps working with one node hung (SIGSTOP), within the command timeout', async () => {
    await nodes[0]!.pause()
    const started = performance.now()
    const held = await lock.tryAcquire(resource, 5_000)
    expect(held).to.not.equal(undefined)
    expect(performance.now() - started).to.be.below(300 + 200)
    await held!.release()
  })

  it('fails fast with a LockError, not contention, when the quorum is lost', async () => {
    await nodes[1]!.stop()
    await nodes[2]!.stop()
    const started = performance.now()
    const error = await lock.tryAcquire(resource, 5_000).catch((e: unknown) => e)
    expect(error).to.be.instanceOf(LockError)
    // At worst one deadline for the attempt and one for redlock releasing its partial lock.
    expect(performance.now() - started).to.be.below(2 * 300 + 200)
    expect(await lock.remaining(resource).catch((e: unknown) => e)).to.be.instanceOf(LockError)
    const health = await lock.health()
    expect(health.quorum).to.equal(false)
  })
})
