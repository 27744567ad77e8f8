import { expect } from 'chai'
import { InvalidOptionError, OptionRangeError } from '../../../src/index.js'
import { nextEvent, record } from '../../support/events.js'
import { deferred } from '../../support/wait.js'
import type { InstanceFactory } from './instances.js'

/** A miss computes and stores; hits, "not found" TTLs, the shouldCache predicate, tags, argument checks. */
export function describeComputing(instance: InstanceFactory): void {
  describe('computing and storing', () => {
    it('computes once, then serves the stored value (hit)', async () => {
      const cache = instance()
      let runs = 0
      const fn = (): Promise<{ n: number }> => Promise.resolve({ n: ++runs })
      expect(await cache.cacheFn('k', fn)).to.deep.equal({ n: 1 })
      const result = await cache.cacheFnResult('k', fn)
      expect(result.value).to.deep.equal({ n: 1 })
      expect(result.status).to.equal('hit')
      expect(runs).to.equal(1)
    })

    it('is bound: const { cacheFn } = cache works', async () => {
      const { cacheFn } = instance()
      expect(await cacheFn('bound', () => 42)).to.equal(42)
    })

    it('stores "not found" results with their own ttl', async () => {
      const cache = instance()
      // A life long enough that a loaded machine reads the entry before it expires.
      await cache.cacheFn('nf', () => null, { ttl: '1h', notFoundTtl: '30s' })
      const entry = await cache.getEntry('nf')
      expect(entry!.freshUntil - entry!.createdAt).to.equal(30_000)
      await cache.cacheFn('found', () => 1, { ttl: '1h', notFoundTtl: '30s' })
      const found = await cache.getEntry('found')
      expect(found!.freshUntil - found!.createdAt).to.equal(3_600_000)
    })

    it('does not store results the predicate rejects, and releases waiters to run themselves', async () => {
      const [a, b] = [instance(), instance()]
      await Promise.all([a.ready(), b.ready()])
      const skips = record(a, 'cache:skip')
      let runs = 0
      const started = deferred()
      const release = deferred()
      const fn = async (): Promise<null> => {
        runs++
        started.resolve()
        await release.promise
        return null
      }
      const options = { shouldCache: (value: null) => value !== null }
      const holder = a.cacheFn('skip', fn, options)
      await started.promise
      const waiter = b.cacheFn('skip', fn, options)
      await nextEvent(b, 'lock:contended')
      release.resolve()
      expect(await Promise.all([holder, waiter])).to.deep.equal([null, null])
      expect(runs).to.equal(2)
      expect(skips.length).to.equal(1)
      expect(await a.getEntry('skip')).to.equal(undefined)
    })

    it('tags computed values for invalidation', async () => {
      const cache = instance()
      await cache.cacheFn('t1', () => 1, { tags: ['match:9'] })
      expect(await cache.invalidate({ tags: ['match:9'] })).to.equal(1)
      expect(await cache.cacheFn('t1', () => 2, { tags: ['match:9'] })).to.equal(2)
    })

    it('rejects bad arguments with typed errors', async () => {
      const cache = instance()
      const bad = [
        cache.cacheFn('k', 'not a function' as never),
        cache.cacheFn('k', () => 1, { ttl: 'soon' as never }),
        cache.cacheFn('k', () => 1, { eagerRefresh: 2 }),
        cache.cacheFn('k', () => 1, { onWaitTimeout: 'retry' as never }),
        cache.cacheFn('', () => 1),
      ]
      const errors = await Promise.all(
        bad.map((p) =>
          p.then(
            () => undefined,
            (e: unknown) => e,
          ),
        ),
      )
      expect(errors[0]).to.be.instanceOf(InvalidOptionError)
      expect(errors[1]).to.be.instanceOf(InvalidOptionError)
      expect(errors[2]).to.be.instanceOf(OptionRangeError)
      expect(errors[3]).to.be.instanceOf(InvalidOptionError)
      expect(errors[4]).to.be.instanceOf(TypeError)
    })
  })
}
