import { expect } from 'chai'
import { InvalidOptionError } from '../../../src/index.js'
import { nextEvent } from '../../support/events.js'
import { deferred } from '../../support/wait.js'
import { gated, inOneMillisecond, twoInstances } from './gated.js'
import { CodedError, type InstanceFactory } from './instances.js'

/**
 * `forceFresh`: a call that computes although a fresh value is stored, as a miss would (one
 * flight, the lock, a fenced write), while the stored value keeps answering everyone else and
 * stands in when the function fails (stale-if-error). cacheRoute's `refresh` and request
 * directives rely on it: a forced refresh during an outage must not take the copy away.
 */
export function describeForcing(instance: InstanceFactory): void {
  describe('forceFresh', () => {
    it('computes and replaces a fresh value; other callers keep the old one meanwhile', async () => {
      const cache = instance()
      await cache.cacheFn('k', () => 'old', { ttl: '1h' })
      const gate = deferred()
      const started = deferred()
      const forced = cache.cacheFnResult(
        'k',
        async () => {
          started.resolve()
          await gate.promise
          return 'new'
        },
        { ttl: '1h', forceFresh: true },
      )
      await started.promise
      const plain = await cache.cacheFnResult('k', () => 'never', { ttl: '1h' })
      expect([plain.status, plain.value]).to.deep.equal(['hit', 'old'])
      gate.resolve()
      expect((await forced).value).to.equal('new')
      expect(await cache.cacheFn('k', () => 'never', { ttl: '1h' })).to.equal('new')
    })

    it('keeps the stored value when the function fails, and serves it within staleIfError', async () => {
      const cache = instance()
      await cache.cacheFn('k', () => 'good', { ttl: '1h' })
      const failing = (): never => {
        throw new CodedError('origin down')
      }
      const kept = await cache.cacheFnResult('k', failing, {
        ttl: '1h',
        staleIfError: '1m',
        forceFresh: true,
      })
      expect([kept.status, kept.value]).to.deep.equal(['stale', 'good'])
      // Without a stale-if-error window the caller gets the error; the value stays stored.
      await cache
        .cacheFn('k', failing, { ttl: '1h', forceFresh: true })
        .then(() => expect.fail('should reject'))
        .catch((error: unknown) => expect(error).to.be.instanceOf(CodedError))
      expect(await cache.get('k')).to.equal('good')
    })

    it('shares one computation among forced callers, across instances too', async () => {
      const [a, b] = await twoInstances(instance)
      await a.cacheFn('k', () => 0, { ttl: '1h' })
      const held = gated((run) => run)
      const options = { ttl: '1h', forceFresh: true } as const
      const first = a.cacheFn('k', held.fn, options)
      await held.started
      const joined = a.cacheFn('k', held.fn, options)
      const other = b.cacheFn('k', held.fn, options)
      await nextEvent(b, 'lock:contended')
      held.release()
      expect(await Promise.all([first, joined, other])).to.deep.equal([1, 1, 1])
      expect(held.runs()).to.equal(1)
    })

    it('tells the refresh from the value it replaces within one millisecond', async () => {
      const [a, b] = await twoInstances(instance)
      await inOneMillisecond(async () => {
        await a.cacheFn('k', () => 0, { ttl: '1h' })
        const held = gated((run) => run)
        const options = { ttl: '1h', forceFresh: true } as const
        const first = a.cacheFn('k', held.fn, options)
        await held.started
        const other = b.cacheFn('k', held.fn, options)
        await nextEvent(b, 'lock:contended')
        held.release()
        expect(await Promise.all([first, other])).to.deep.equal([1, 1])
        expect(held.runs()).to.equal(1)
      })
    })

    it('takes no cached failure for an answer', async () => {
      const cache = instance()
      await cache
        .cacheFn('k', () => Promise.reject(new CodedError('once')), { errorTtl: '1h' })
        .catch(() => undefined)
      expect(await cache.cacheFn('k', () => 'fixed', { forceFresh: true })).to.equal('fixed')
      expect(await cache.get('k')).to.equal('fixed')
    })

    it('rejects a forceFresh that is not a boolean', async () => {
      const cache = instance()
      const error = await cache
        .cacheFn('k', () => 1, { forceFresh: 'yes' as never })
        .catch((e: unknown) => e)
      expect(error).to.be.instanceOf(InvalidOptionError)
    })
  })
}
