import { expect } from 'chai'
import type { InvalidateTarget } from '../../../src/index.js'
import { record } from '../../support/events.js'
import { heldFunction as held } from '../../support/wait.js'
import type { InstanceFactory } from './instances.js'

/**
 * Invalidation against computations in flight (issue 12): once `invalidate` resolved, a
 * computation that started before it cannot store its result (defect 1: for tags too), and no
 * later call on the invalidating instance joins a flight from before it (defect 5).
 */
export function describeInvalidation(instance: InstanceFactory): void {
  describe('invalidation of computations in flight', () => {
    describe('defect 1: tag invalidation refuses the late write', () => {
      it('of a key computed for the first time (its tag set is empty)', async () => {
        const [a, b] = [instance(), instance()]
        const computing = held<string>()
        const call = a.cacheFn('k', computing.fn, { tags: ['t'] })
        await computing.started
        await b.invalidate({ tags: ['t'] })
        computing.release('before invalidation')
        // The caller of the flight still gets its own result; the store does not keep it.
        expect(await call).to.equal('before invalidation')
        expect(await b.get('k')).to.equal(undefined)
        expect(await a.cacheFn('k', () => 'after invalidation', { tags: ['t'] })).to.equal(
          'after invalidation',
        )
      })

      it('of a key computed again after a tag invalidation emptied its set', async () => {
        const [a, b] = [instance(), instance()]
        await a.set('k', 'first', { tags: ['t'] })
        expect(await b.invalidate({ tags: ['t'] })).to.equal(1)
        const computing = held<string>()
        const call = a.cacheFn('k', computing.fn, { tags: ['t', 'u'] })
        await computing.started
        await b.invalidate({ tags: ['u'] })
        computing.release('before invalidation')
        expect(await call).to.equal('before invalidation')
        expect(await b.get('k')).to.equal(undefined)
        expect(await b.cacheFn('k', () => 'after invalidation', { tags: ['t'] })).to.equal(
          'after invalidation',
        )
        // The value written after the invalidation is tagged: the next invalidation removes it.
        expect(await a.invalidate({ tags: ['t'] })).to.equal(1)
        expect(await b.get('k')).to.equal(undefined)
      })
    })

    it('defect 1: a computation outliving its tag registration does not store a tagged value', async () => {
      const [a, b] = [instance(), instance()]
      const rejected = record(a, 'fence:rejected')
      const realNow = Date.now
      // The function runs "50 s" (past the 45 s a registration is relied on without renewal).
      const slow = (): string => {
        const skew = realNow() + 50_000
        Date.now = () => skew
        return 'ran long'
      }
      try {
        expect(await a.cacheFn('tagged', slow, { tags: ['t'] })).to.equal('ran long')
      } finally {
        Date.now = realNow
      }
      expect(rejected.length).to.equal(1)
      expect(await b.get('tagged')).to.equal(undefined)
      try {
        expect(await a.cacheFn('untagged', slow)).to.equal('ran long')
      } finally {
        Date.now = realNow
      }
      expect(await b.get('untagged')).to.equal('ran long')
    })

    describe('defect 5: a call made after invalidate() resolved does not join an earlier flight', () => {
      const targets: readonly (readonly [string, InvalidateTarget])[] = [
        ['key', { key: 'k' }],
        ['namespace', { namespace: 'ns' }],
        ['tags', { tags: ['t'] }],
        ['pattern', { pattern: 'k*', namespace: 'ns' }],
      ]
      for (const [kind, target] of targets) {
        it(`after invalidate({ ${kind} })`, async () => {
          const cache = instance({ namespace: 'ns' })
          const computing = held<string>()
          const first = cache.cacheFn('k', computing.fn, { tags: ['t'] })
          await computing.started
          await cache.invalidate(target)
          let runs = 0
          const second = cache.cacheFn(
            'k',
            () => {
              runs++
              return 'after invalidation'
            },
            { tags: ['t'] },
          )
          computing.release('before invalidation')
          expect(await first).to.equal('before invalidation')
          expect(await second).to.equal('after invalidation')
          expect(runs).to.equal(1)
          expect(await cache.get('k')).to.equal('after invalidation')
        })
      }
    })
  })
}
