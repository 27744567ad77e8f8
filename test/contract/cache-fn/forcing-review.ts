import { expect } from 'chai'
import { nextEvent } from '../../support/events.js'
import { deferred } from '../../support/wait.js'
import { gated, inOneMillisecond, twoInstances } from './gated.js'
import { CodedError, type InstanceFactory } from './instances.js'

/**
 * Review of `forceFresh` (2656962..main): attempts to break what options/fn-options.ts promises
 * ("The stored value stays in place until then: other callers keep getting it, and it is the
 * fallback staleIfError serves"; "once per key in this process, under the lock across
 * instances, fenced"). Run: `npx mocha test/contract/every-backend.test.ts -g "forceFresh review"`.
 */
export function describeForcingReview(instance: InstanceFactory): void {
  describe('forceFresh: what a failed or unstored refresh leaves, and overlapping calls', () => {
    it('a forced call that fails with errorTtl leaves the fresh value to other callers', async () => {
      const cache = instance()
      const options = { ttl: '1h', errorTtl: '1m', staleIfError: '1h' } as const
      await cache.cacheFn('k', () => 'good', options)
      const failing = (): never => {
        throw new CodedError('origin down')
      }
      const forced = await cache.cacheFnResult('k', failing, { ...options, forceFresh: true })
      expect([forced.status, forced.value]).to.deep.equal(['stale', 'good'])
      // Every other caller had a fresh value before the forced call; the cached failure
      // (errorTtl) now stands in its place for them, staleIfError notwithstanding.
      const other = await cache
        .cacheFnResult('k', () => 'never', options)
        .then((r) => [r.status, r.value])
        .catch((error: Error) => ['rejected', error.message])
      expect(other).to.deep.equal(['hit', 'good'])
    })

    it('a forced result that is not stored (passTtl) leaves the fresh value to other callers', async () => {
      const cache = instance()
      const options = { ttl: '1h', passTtl: '1m' } as const
      await cache.cacheFn('k', () => 'good', options)
      const forced = await cache.cacheFn(
        'k',
        ({ skip }) => {
          skip('predicate')
          return 'unstorable'
        },
        { ...options, forceFresh: true },
      )
      expect(forced).to.equal('unstorable')
      let runs = 0
      const other = await cache.cacheFnResult(
        'k',
        () => {
          runs++
          return 'ran'
        },
        options,
      )
      // The fresh value was replaced by a pass marker: every caller runs fn for passTtl.
      expect([other.status, other.value, runs]).to.deep.equal(['hit', 'good', 0])
    })

    it('a forced failure within one millisecond answers the forced waiter on another instance', async () => {
      const [a, b] = await twoInstances(instance)
      await inOneMillisecond(async () => {
        await a.cacheFn('k', () => 0, { ttl: '1h' })
        const held = gated((run): never => {
          throw new CodedError(`failure ${run}`)
        })
        const options = { ttl: '1h', errorTtl: '1h', forceFresh: true } as const
        const first = a.cacheFn('k', held.fn, options).catch((e: Error) => e.message)
        await held.started
        const other = b.cacheFn('k', held.fn, options).catch((e: Error) => e.message)
        await nextEvent(b, 'lock:contended')
        held.release()
        // b takes a's failure (a notice: the value it replaces was fresh), never runs itself.
        expect(await Promise.all([first, other])).to.deep.equal(['failure 1', 'failure 1'])
        expect(held.runs()).to.equal(1)
      })
    })

    it('forced calls that overlap share one computation (documented); invalidate() is for changed data', async () => {
      const cache = instance()
      await cache.cacheFn('k', () => 'v0', { ttl: '1h' })
      let data = 'v1'
      const gate = deferred()
      const started = deferred()
      const options = { ttl: '1h', forceFresh: true } as const
      const first = cache.cacheFn(
        'k',
        async () => {
          const read = data
          started.resolve()
          await gate.promise
          return read
        },
        options,
      )
      await started.promise
      data = 'v2'
      // Made while the first runs: it shares it, as concurrent misses do (request collapsing).
      const second = cache.cacheFn('k', () => data, options)
      gate.resolve()
      expect([await first, await second]).to.deep.equal(['v1', 'v1'])
      // A change of data is what invalidate() is for: a call after it never gets the old value.
      await cache.invalidate({ key: 'k' })
      expect(await cache.cacheFn('k', () => data, { ttl: '1h' })).to.equal('v2')
    })
  })

  describe('forceFresh: invalidation, takeover and eager refresh', () => {
    it('a forced computation started before invalidate() does not store its value after it', async () => {
      const cache = instance()
      await cache.cacheFn('k', () => 'v0', { ttl: '1h' })
      const gate = deferred()
      const started = deferred()
      const forced = cache.cacheFn(
        'k',
        async () => {
          started.resolve()
          await gate.promise
          return 'old'
        },
        { ttl: '1h', forceFresh: true },
      )
      await started.promise
      await cache.invalidate({ key: 'k' })
      // A forced call after the invalidation starts afresh (its flight was forgotten).
      const after = cache.cacheFn('k', () => 'new', { ttl: '1h', forceFresh: true })
      gate.resolve()
      expect(await forced).to.equal('old')
      expect(await after).to.equal('new')
      expect(await cache.get('k')).to.equal('new')
    })

    it('a forced waiter on another instance, holder failing without errorTtl, gets the stored value within staleIfError', async () => {
      const [a, b] = await twoInstances(instance)
      const options = { ttl: '1h', staleIfError: '1h', forceFresh: true } as const
      await a.cacheFn('k', () => 'good', { ttl: '1h', staleIfError: '1h' })
      const held = gated((): never => {
        throw new CodedError('down')
      })
      const first = a.cacheFnResult('k', held.fn, options)
      await held.started
      const other = b.cacheFnResult('k', held.fn, options)
      await nextEvent(b, 'lock:contended')
      held.release()
      const results = await Promise.all([first, other])
      expect(results.map((r) => [r.status, r.value])).to.deep.equal([
        ['stale', 'good'],
        ['stale', 'good'],
      ])
      expect(held.runs()).to.equal(1)
      expect(await a.get('k')).to.equal('good')
    })

    it('a plain eager refresh and a forced call on another instance: one run, the newest stays', async () => {
      const [a, b] = await twoInstances(instance)
      const held = gated((run) => run)
      await a.cacheFn('k', () => 0, { ttl: '1h' })
      const forced = a.cacheFn('k', held.fn, { ttl: '1h', forceFresh: true })
      await held.started
      // An eager refresh on b finds the lock taken: left to the forced holder.
      expect(await b.cacheFn('k', held.fn, { ttl: '1h', eagerRefresh: 0.01 })).to.equal(0)
      held.release()
      expect(await forced).to.equal(1)
      expect(await b.cacheFn('k', () => -1, { ttl: '1h' })).to.equal(1)
      expect(held.runs()).to.equal(1)
    })
  })
}
