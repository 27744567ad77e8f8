import { expect } from 'chai'
import type { Cache, CacheOptions } from '../../../src/index.js'
import { commandWith, type FaultProxy } from '../../support/fault-proxy.js'
import { deferred, nextEvent, sleep } from '../../support/wait.js'
import { raceHarness } from './harness.js'

/**
 * cacheFn races of issue 12 (defects 2, 3, 6, 8 and the examine items), each driven to its
 * exact interleaving with controllable functions and fault proxies: no sleeps as sync.
 */
describe('cacheFn races (issue 12)', function () {
  this.timeout(10_000)
  const race = raceHarness('race', { commandTimeout: 1_000 })
  const open = (options?: CacheOptions): Cache => race.open(options)
  const proxy = (): Promise<FaultProxy> => race.proxy()

  it('defect 2: a waiter reaching waitTimeout leaves the live holder its write', async () => {
    const [a, b] = [open(), open()]
    await Promise.all([a.ready(), b.ready()])
    let runs = 0
    const holder = deferred<string>()
    const holderStarted = deferred()
    const waiter = deferred<string>()
    const waiterStarted = deferred()
    const rejected: string[] = []
    a.on('fence:rejected', ({ namespace }) => rejected.push(namespace))
    const first = a.cacheFn('k', () => {
      runs++
      holderStarted.resolve()
      return holder.promise
    })
    await holderStarted.promise
    const second = b.cacheFn(
      'k',
      () => {
        runs++
        waiterStarted.resolve()
        return waiter.promise
      },
      { waitTimeout: 100, onWaitTimeout: 'run' },
    )
    await waiterStarted.promise
    holder.resolve('from holder')
    expect(await first).to.equal('from holder')
    expect(rejected, 'the holder write was refused').to.deep.equal([])
    // The holder's value is stored: the next caller is answered without a run.
    const third = await a.cacheFnResult('k', () => {
      runs++
      return 'third'
    })
    expect(third.status).to.equal('hit')
    expect(runs).to.equal(2)
    waiter.resolve('from waiter')
    expect(await second).to.equal('from waiter')
  })

  it('defect 3: a zombie holder failing late does not fail the new holder’s waiters', async () => {
    const lockProxy = await proxy()
    const zombie = open({ lock: { nodes: [lockProxy.url] } })
    const [taker, waiterCache] = [open(), open()]
    await Promise.all([zombie.ready(), taker.ready(), waiterCache.ready()])
    const options = { lockTtl: 300 }
    const zombieGate = deferred()
    const zombieStarted = deferred()
    const zombieCall = zombie.cacheFn(
      'k',
      async () => {
        zombieStarted.resolve()
        await zombieGate.promise
        throw new Error('zombie failed')
      },
      options,
    )
    zombieCall.catch(() => undefined)
    await zombieStarted.promise
    // The zombie's lock node connection hangs: it cannot extend, its lock expires.
    lockProxy.pause()
    const takerGate = deferred<string>()
    const takerStarted = deferred()
    const takeover = nextEvent(taker, 'lock:takeover')
    const takerCall = taker.cacheFn(
      'k',
      () => {
        takerStarted.resolve()
        return takerGate.promise
      },
      options,
    )
    await takeover
    await takerStarted.promise
    let waiterRuns = 0
    const contended = nextEvent(waiterCache, 'lock:contended')
    const waiterCall = waiterCache.cacheFnResult(
      'k',
      () => {
        waiterRuns++
        return 'waiter ran'
      },
      options,
    )
    waiterCall.catch(() => undefined)
    await contended
    // The zombie wakes up and fails; its "failed" notice goes out before the taker's "written".
    zombieGate.resolve()
    expect(await zombieCall.catch((e: Error) => e.message)).to.equal('zombie failed')
    takerGate.resolve('from taker')
    expect(await takerCall).to.equal('from taker')
    const answer = await waiterCall
    expect(answer.value).to.equal('from taker')
    expect(waiterRuns).to.equal(0)
  })

  it('defect 8: store down, lock up: every instance computes at once (fail open in parallel)', async () => {
    const storeProxy = await proxy()
    const lockNode = race.node.url
    const instances = [0, 1, 2, 3].map(() =>
      open({ redis: storeProxy.url, lock: { nodes: [lockNode] }, breaker: false }),
    )
    await Promise.all(instances.map((c) => c.ready()))
    storeProxy.refuse()
    storeProxy.reset()
    // Each run waits until all four run: computing one after another never gets there.
    let started = 0
    const all = deferred()
    const fn = async (): Promise<string> => {
      if (++started === instances.length) all.resolve()
      await all.promise
      return 'origin'
    }
    const results = await Promise.all(
      instances.map((c) => c.cacheFnResult('k', fn, { waitTimeout: '30s' })),
    )
    expect(results.map((r) => r.value)).to.deep.equal(['origin', 'origin', 'origin', 'origin'])
    expect(started).to.equal(4)
  })

  it('examine: the holder’s re-check sees an errorTtl marker stored after its read', async () => {
    const storeProxy = await proxy()
    const [first, late] = [open(), open({ redis: storeProxy.url })]
    await Promise.all([first.ready(), late.ready()])
    const options = { errorTtl: '30s' } as const
    // late's read runs now (a miss) but its answer waits in the proxy...
    const read = storeProxy.holdReply(commandWith('GET', 'marked'))
    let lateRuns = 0
    const lateCall = late.cacheFn(
      'marked',
      () => {
        lateRuns++
        return 'recomputed'
      },
      options,
    )
    lateCall.catch(() => undefined)
    await read.reached
    // ...while another instance fails and caches the failure (errorTtl).
    const failure = await first
      .cacheFn('marked', () => Promise.reject(new Error('origin down')), options)
      .catch((e: Error) => e.message)
    expect(failure).to.equal('origin down')
    read.release()
    expect(await lateCall.catch((e: Error) => e.message)).to.equal('origin down')
    expect(lateRuns).to.equal(0)
  })

  it('examine: hardTimeout releases the lock; the late result of an fn that ignores its signal is never written', async () => {
    const [a, b] = [open(), open()]
    await Promise.all([a.ready(), b.ready()])
    const gate = deferred<string>()
    const started = deferred()
    const timedOut = await a
      .cacheFn(
        'hard',
        () => {
          started.resolve()
          return gate.promise // ignores ctx.signal
        },
        { hardTimeout: 100 },
      )
      .catch((e: Error) => e.name)
    expect(timedOut).to.equal('HardTimeoutError')
    // The lock is free again: another instance computes and stores.
    expect((await b.cacheFnResult('hard', () => 'from b')).status).to.equal('miss')
    gate.resolve('late from a')
    await started.promise
    // Anything a would write after its function settled is ordered before this round trip.
    await new Promise((resolve) => setImmediate(resolve))
    await a.get('unrelated')
    const after = await a.cacheFnResult('hard', () => 'recomputed')
    expect(after.value).to.equal('from b')
  })

  it('examine: a fence taken after a Redis restart is above every fence taken before', async () => {
    const [a, b] = [open(), open()]
    await Promise.all([a.ready(), b.ready()])
    const gate = deferred<string>()
    const started = deferred()
    const zombie = a.cacheFn('k', () => {
      started.resolve()
      return gate.promise
    })
    await started.promise
    // Restarted empty: the fence key and the lock are gone; only the server clock remains.
    await race.node.stop()
    await race.node.restart()
    // Reconnecting is time by nature (the client's backoff): poll until b's value is stored.
    let stored = false
    for (let i = 0; i < 200 && !stored; i++) {
      stored = (await b.cacheFnResult('k', () => 'after restart')).status === 'hit'
      if (!stored) await sleep(25)
    }
    expect(stored).to.equal(true)
    gate.resolve('zombie value')
    expect(await zombie).to.equal('zombie value')
    const after = await b.cacheFnResult('k', () => 'recomputed')
    expect(after.value).to.equal('after restart')
  })
})
