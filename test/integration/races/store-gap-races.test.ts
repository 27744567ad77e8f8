import { expect } from 'chai'
import type { Cache, CacheOptions } from '../../../src/index.js'
import type { FaultProxy, Hold, RespCommand } from '../../support/fault-proxy.js'
import { heldFunction } from '../../support/wait.js'
import { raceHarness } from './harness.js'

/**
 * What a store gap (a paused Redis, a lost reply) may not do later: a call that failed open, or
 * an invalidation that rejected, must not leave data older than a later invalidation that
 * resolved. Found by the 10-minute soak (SOAK.md): reads of old data after tag and namespace
 * invalidations that followed a store pause. Each test drives the interleaving with a fault
 * proxy and a held function; no sleeps.
 */
describe('store gaps: no late effect outlives an invalidation (Redis)', function () {
  this.timeout(10_000)
  const race = raceHarness('gap', { commandTimeout: 200 })
  const open = (options?: CacheOptions): Cache => race.open(options)
  const proxy = (): Promise<FaultProxy> => race.proxy()
  /** A script call (EVAL or EVALSHA) that names `key`. */
  const scriptOn =
    (key: string) =>
    (command: RespCommand): boolean =>
      (command.name === 'EVALSHA' || command.name === 'EVAL') &&
      command.args.some((arg) => arg.toString() === key)

  it('a computation that got no fence (store unreachable at its start) does not store its value', async () => {
    const p = await proxy()
    const a = open({ redis: p.url, breaker: false })
    const observer = open()
    await Promise.all([a.ready(), observer.ready()])
    const held = heldFunction<string>()
    p.pause()
    const call = a.cacheFn('k', held.fn)
    await held.started
    p.resume()
    // The invalidation resolves after the function started: its result is older than it.
    await observer.invalidate({ key: 'k' })
    held.release('old')
    expect(await call).to.equal('old')
    expect(await observer.get('k')).to.equal(undefined)
    expect(await a.get('k')).to.equal(undefined)
  })

  it('a failure whose errorTtl marker the store did not take is rethrown without waiting for its notice', async () => {
    const p = await proxy()
    const a = open({ redis: p.url, breaker: false })
    await a.ready()
    // Loads the write script, so the held call is the marker write itself.
    await a.cacheFn('warm', () => 'v')
    const order: string[] = []
    a.on('error', ({ operation }) => {
      if (operation === 'publish') order.push('notice failed')
    })
    // The marker write (and everything after it on that connection: the notice) never answers.
    // The first script naming the entry is the holder's re-check, which must answer (a fence).
    let seen = 0
    const onEntry = scriptOn(`${race.prefix}:v:{default:k}`)
    const hold = p.holdCommand((command) => onEntry(command) && ++seen === 2)
    const call = a.cacheFn('k', () => Promise.reject(new Error('boom')), { errorTtl: '1m' })
    await call.then(
      () => order.push('resolved'),
      (error: Error) => order.push(`rejected: ${error.message}`),
    )
    await hold.reached
    // The caller got the function's error first: it did not wait out the notice's timeout.
    expect(order[0]).to.equal('rejected: boom')
    hold.release()
  })

  /** Where a tag invalidation's store gap is made: the held frame of one of its calls. */
  const TAG_GAPS: readonly [string, (p: FaultProxy) => Hold][] = [
    // The take runs on the server; its reply never reaches the invalidating instance.
    ['its take ran but the reply was lost', (p) => p.holdReply(scriptOn(`${race.prefix}:tz:{t}`))],
    // The delete of the entry (and everything after it on that connection) never answers.
    ['its deletes failed', (p) => p.holdCommand(scriptOn(`${race.prefix}:v:{default:k}`))],
  ]

  for (const [gap, hold] of TAG_GAPS) {
    it(`a tag invalidation whose ${gap.replace('its ', '')} leaves the tagged entries to the next one`, async () => {
      const p = await proxy()
      const a = open({ redis: p.url, breaker: false })
      const observer = open()
      await Promise.all([a.ready(), observer.ready()])
      await observer.set('k', 'old', { tags: ['t'] })
      // Loads the scripts, so the held call is the script itself and not a NOSCRIPT reply.
      await observer.invalidate({ tags: ['other'] })
      const held = hold(p)
      const failed = await a.invalidate({ tags: ['t'] }).then(
        () => undefined,
        (error: unknown) => error as Error,
      )
      await held.reached
      expect(failed?.name).to.equal('InvalidationError')
      expect(await observer.invalidate({ tags: ['t'] })).to.equal(1)
      expect(await observer.get('k')).to.equal(undefined)
      held.release()
    })
  }
})
