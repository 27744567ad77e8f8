import { expect } from 'chai'
import { nextEvent, record } from '../../support/events.js'
import { deferred } from '../../support/wait.js'
import type { InstanceFactory } from './instances.js'

/** One computation per key: shared inside a process, and across instances through the lock and a wake-up message. */
export function describeSingleFlight(instance: InstanceFactory): void {
  describe('single flight', () => {
    it('shares one computation among concurrent callers in a process', async () => {
      const cache = instance()
      const coalesced = record(cache, 'fn:coalesced')
      let runs = 0
      const gate = deferred()
      const fn = async (): Promise<number> => {
        runs++
        await gate.promise
        return 7
      }
      const calls = Array.from({ length: 100 }, () => cache.cacheFn('hot', fn))
      gate.resolve()
      expect(await Promise.all(calls)).to.deep.equal(Array(100).fill(7))
      expect(runs).to.equal(1)
      // Reported once, when the flight settles, for all 99 callers that shared it.
      expect(coalesced.reduce((sum, e) => sum + (e.count ?? 1), 0)).to.equal(99)
    })

    it('computes once across instances; the others are woken by a message', async () => {
      const [a, b, c] = [instance(), instance(), instance()]
      await Promise.all([a, b, c].map((cache) => cache.ready()))
      const woken = [b, c].map((cache) => record(cache, 'fn:woken'))
      let runs = 0
      const started = deferred()
      const release = deferred()
      const fn = async (): Promise<string> => {
        runs++
        started.resolve()
        await release.promise
        return 'computed once'
      }
      const first = a.cacheFn('shared', fn)
      await started.promise
      const waiting = [b.cacheFn('shared', fn), c.cacheFn('shared', fn)]
      await Promise.all([b, c].map((cache) => nextEvent(cache, 'lock:contended')))
      release.resolve()
      expect(await Promise.all([first, ...waiting])).to.deep.equal(Array(3).fill('computed once'))
      expect(runs).to.equal(1)
      const wakes = woken.flat()
      expect(wakes.map((w) => w.by)).to.deep.equal(['message', 'message'])
    })
  })
}
