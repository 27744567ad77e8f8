import { expect } from 'chai'
import type { Cache, CacheOptions } from '../../../src/index.js'
import type { FaultProxy } from '../../support/fault-proxy.js'
import { deferred, nextEvent } from '../../support/wait.js'
import { raceHarness } from './harness.js'

/** Review of forceFresh under lock faults (2656962..main): guards, expected to pass. */
describe('review: forceFresh races (guards)', function () {
  this.timeout(10_000)
  const race = raceHarness('forced-review', { commandTimeout: 1_000 })
  const open = (options?: CacheOptions): Cache => race.open(options)
  const proxy = (): Promise<FaultProxy> => race.proxy()

  it('a forced holder paused past its lock: the forced waiter takes over, the late write is refused', async () => {
    const lockProxy = await proxy()
    const zombie = open({ lock: { nodes: [lockProxy.url] } })
    const taker = open()
    await Promise.all([zombie.ready(), taker.ready()])
    await taker.cacheFn('k', () => 'v0', { ttl: '1h' })
    const options = { ttl: '1h', lockTtl: 300, forceFresh: true } as const
    const zombieGate = deferred<string>()
    const zombieStarted = deferred()
    const zombieCall = zombie.cacheFn(
      'k',
      () => {
        zombieStarted.resolve()
        return zombieGate.promise
      },
      options,
    )
    await zombieStarted.promise
    lockProxy.pause()
    const takeover = nextEvent(taker, 'lock:takeover')
    let takerRuns = 0
    const takerCall = taker.cacheFn(
      'k',
      () => {
        takerRuns++
        return 'from taker'
      },
      options,
    )
    await takeover
    expect(await takerCall).to.equal('from taker')
    zombieGate.resolve('late zombie')
    expect(await zombieCall).to.equal('late zombie')
    await zombie.get('unrelated')
    expect(await taker.get('k')).to.equal('from taker')
    expect(takerRuns).to.equal(1)
  })
})
