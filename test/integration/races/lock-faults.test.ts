import { expect } from 'chai'
import { createClient } from 'redis'
import { LockError } from '../../../src/errors.js'
import { RedlockLock } from '../../../src/lock/redlock-lock.js'
import { FaultProxy, type RespCommand } from '../../support/fault-proxy.js'
import { startRedisNodes, stopNodes, uniquePrefix, type RedisNode } from '../../support/redis.js'

/**
 * The lock under faults (issue 12, defects 6, 9 and 12), driven through fault proxies. Command
 * timeouts are set far above the test's own timeout where the point is "does not wait for the
 * hung node": the old code then fails by timing out instead of by a flaky duration check.
 */

const LONG_TIMEOUT_MS = 60_000

/** A lock script call on `resource` (acquire, extend, release or PTTL). */
const onResource =
  (resource: string) =>
  (command: RespCommand): boolean =>
    (command.name === 'EVALSHA' || command.name === 'EVAL') &&
    command.args.some((arg) => arg.toString() === resource)

describe('Lock under faults (issue 12)', function () {
  this.timeout(8_000)
  let nodes: RedisNode[]
  let proxies: FaultProxy[]
  const locks: RedlockLock[] = []
  let resource: string

  const open = (commandTimeoutMs: number, count = 3, threshold = 2): RedlockLock => {
    const lock = new RedlockLock(
      proxies.slice(0, count).map((p) => p.url),
      { commandTimeoutMs, onError: () => undefined, breaker: { threshold, cooldownMs: 60_000 } },
    )
    locks.push(lock)
    return lock
  }

  before(async () => {
    nodes = await startRedisNodes(3)
  })
  after(() => stopNodes(nodes))
  beforeEach(async () => {
    proxies = await Promise.all(nodes.map((n) => FaultProxy.start(n.url)))
    resource = `${uniquePrefix('lf')}:l:{r}`
  })
  afterEach(async () => {
    // Let held bytes through first, so that the locks close their clients gracefully.
    for (const p of proxies) p.resume()
    await Promise.all(locks.splice(0).map((lock) => lock.close()))
    await Promise.all(proxies.map((p) => p.close()))
  })

  // The hung node's command is held in its proxy: the answer must come while it still is (the
  // old code waited for that node until its socket timed out, closing the connection).
  it('defect 12: a contended acquire answers from a majority, without the hung node', async () => {
    const holder = open(LONG_TIMEOUT_MS)
    const held = await holder.tryAcquire(resource, 30_000)
    expect(held).to.not.equal(undefined)
    const contender = open(LONG_TIMEOUT_MS)
    await contender.health()
    const hung = proxies[2]!.holdCommand(onResource(resource))
    expect(await contender.tryAcquire(resource, 30_000)).to.equal(undefined)
    const { connection } = await hung.reached
    expect(hung.held).to.equal(true)
    expect(connection.closed).to.equal(false)
    hung.release()
  })

  it('defect 12: the holder wins with a majority, without waiting for the hung node', async () => {
    const lock = open(LONG_TIMEOUT_MS)
    await lock.health()
    const hung = proxies[2]!.holdCommand(onResource(resource))
    const held = await lock.tryAcquire(resource, 30_000)
    expect(held).to.not.equal(undefined)
    const { connection } = await hung.reached
    expect(hung.held).to.equal(true)
    expect(connection.closed).to.equal(false)
    hung.release()
  })

  it('defect 9: a contended acquire sends no release round trip', async () => {
    const held = await open(1_000).tryAcquire(resource, 30_000)
    expect(held).to.not.equal(undefined)
    const contender = open(1_000)
    await contender.health()
    const sent: string[] = []
    for (const proxy of proxies) {
      proxy.onCommand((command) => {
        if (onResource(resource)(command)) sent.push(command.name)
      })
    }
    expect(await contender.tryAcquire(resource, 30_000)).to.equal(undefined)
    // One acquire per node (EVALSHA, or EVALSHA + EVAL when the script was not loaded yet).
    expect(sent.filter((name) => name === 'EVALSHA')).to.have.length(3)
    await held!.release()
  })

  it('defect 9: a lock whose nodes keep failing stops sending to them (breaker)', async () => {
    const lock = open(150)
    await lock.health()
    for (const proxy of proxies) proxy.pause()
    const failures: unknown[] = []
    for (let i = 0; i < 6; i++) {
      failures.push(await lock.tryAcquire(`${resource}${i}`, 5_000).catch((e: unknown) => e))
    }
    expect(failures.every((e) => e instanceof LockError)).to.equal(true)
    const sentBefore = proxies.reduce((n, p) => n + p.seen('EVALSHA') + p.seen('EVAL'), 0)
    const fast = await lock.tryAcquire(`${resource}x`, 5_000).catch((e: unknown) => e)
    expect(fast).to.be.instanceOf(LockError)
    const sentAfter = proxies.reduce((n, p) => n + p.seen('EVALSHA') + p.seen('EVAL'), 0)
    expect(sentAfter).to.equal(sentBefore)
    for (const proxy of proxies) proxy.resume()
  })

  it('defect 6: one slow extension is retried within the validity; the lock is kept', async () => {
    const lock = open(300, 1)
    await lock.health()
    const held = await lock.tryAcquire(resource, 3_000)
    expect(held).to.not.equal(undefined)
    const slow = proxies[0]!.holdReply(onResource(resource))
    const extended = held!.extend(3_000)
    await slow.reached
    // The retry is queued behind the held reply on the same connection: release when it is sent.
    await proxies[0]!.nextCommand(onResource(resource))
    slow.release()
    expect(await extended).to.equal(true)
    expect(await lock.remaining(resource)).to.be.above(2_000)
    await held!.release()
  })

  it('defect 6: extend gives up (false) once the validity is really gone', async () => {
    const lock = open(300, 1)
    await lock.health()
    const held = await lock.tryAcquire(resource, 1_000)
    expect(held).to.not.equal(undefined)
    proxies[0]!.pause()
    expect(await held!.extend(3_000)).to.equal(false)
    proxies[0]!.resume()
  })

  it('a release no majority answered is retried until it lands, not left to the lock ttl', async () => {
    // Long commands and a breaker that does not open: only the retry is under test here (each
    // timeout counts toward the breakers, which would then skip it).
    const lock = open(1_000, 3, 100)
    const held = await lock.tryAcquire(resource, 30_000)
    expect(held).to.not.equal(undefined)
    // The release never reaches a node (a dead master, its replica not yet promoted).
    for (const p of proxies) p.drop('up')
    await held!.release()
    for (const p of proxies) p.stopDropping('up')
    // The retry lands on every node: the lock is gone from all of them, long before its 30 s
    // ttl (the test's own timeout is 8 s). Polled: nothing tells the test when a retry ran.
    const clients = await Promise.all(
      nodes.map(async (node) => {
        const raw = createClient({ url: node.url })
        await raw.connect()
        return raw
      }),
    )
    const deadline = performance.now() + 6_000
    try {
      let left: number[] = []
      do {
        left = await Promise.all(clients.map((raw) => raw.exists(resource)))
        if (left.every((n) => n === 0)) break
        await new Promise((resolve) => setTimeout(resolve, 50))
      } while (performance.now() < deadline)
      expect(left, 'lock keys left on the nodes 6 s after the release').to.deep.equal([0, 0, 0])
    } finally {
      for (const raw of clients) raw.destroy()
    }
  })
})
