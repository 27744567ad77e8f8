import { expect } from 'chai'
import { nextEvent, record } from '../../support/events.js'
import { deferred } from '../../support/wait.js'
import type { InstanceFactory } from './instances.js'

/** A computation's write carries its fence: a newer write wins over a late older one. */
export function describeFencing(instance: InstanceFactory): void {
  describe('fencing', () => {
    it('rejects a late write from an older computation (fenced writes)', async () => {
      const cache = instance()
      const gate = deferred()
      const rejected = record(cache, 'fence:rejected')
      const old = cache.cacheFn('fence', async () => {
        await gate.promise
        return 'stale computation'
      })
      await nextEvent(cache, 'lock:acquired')
      await cache.set('fence', 'newer value')
      gate.resolve()
      expect(await old).to.equal('stale computation')
      expect(await cache.get('fence')).to.equal('newer value')
      expect(rejected.length).to.equal(1)
    })
  })
}
