import { expect } from 'chai'
import { nextEvent } from '../../support/events.js'
import { sleep } from '../../support/wait.js'
import type { InstanceFactory } from './instances.js'

/** Stale entries: served on errors (staleIfError), while refreshing (staleWhileRevalidate), refreshed early (eagerRefresh). */
export function describeStale(instance: InstanceFactory): void {
  describe('stale values', () => {
    it('serves the stale value when the function fails within staleIfError', async () => {
      const cache = instance()
      await cache.cacheFn('sie', () => 'old', { ttl: 30, staleIfError: '1m' })
      await sleep(50)
      const result = await cache.cacheFnResult('sie', () => Promise.reject(new Error('down')), {
        ttl: 30,
        staleIfError: '1m',
      })
      expect(result).to.include({ value: 'old', status: 'stale' })
      await cache
        .cacheFn('sie', () => Promise.reject(new Error('down')), { ttl: 30 })
        .then(() => expect.fail('without staleIfError the error must surface'))
        .catch((error: Error) => expect(error.message).to.equal('down'))
    })

    it('serves stale at once within staleWhileRevalidate and refreshes in the background', async () => {
      const cache = instance()
      const options = { ttl: 40, staleWhileRevalidate: '1m' } as const
      await cache.cacheFn('swr', () => 'v1', options)
      await sleep(60)
      const refreshed = nextEvent(cache, 'cache:set')
      // The refreshed value lives long, so a slow machine cannot see it stale again.
      const stale = await cache.cacheFnResult(
        'swr',
        ({ setOptions }) => {
          setOptions({ ttl: '1m' })
          return 'v2'
        },
        options,
      )
      expect(stale).to.include({ value: 'v1', status: 'stale' })
      await refreshed
      const fresh = await cache.cacheFnResult('swr', () => 'v3', options)
      expect(fresh).to.include({ value: 'v2', status: 'hit' })
    })

    it('refreshes eagerly before expiry, once', async () => {
      const cache = instance()
      let runs = 0
      const fn = (): number => ++runs
      // Past half of a 600 ms life: still fresh, old enough for an eager refresh.
      await cache.cacheFn('eager', fn, { ttl: 600, eagerRefresh: 0.5 })
      await sleep(350)
      const refreshed = nextEvent(cache, 'cache:set')
      expect(
        await Promise.all(
          [1, 2, 3].map(() => cache.cacheFn('eager', fn, { ttl: 600, eagerRefresh: 0.5 })),
        ),
      ).to.deep.equal([1, 1, 1])
      await refreshed
      expect(runs).to.equal(2)
      expect(await cache.cacheFn('eager', fn, { ttl: 600, eagerRefresh: 0.5 })).to.equal(2)
    })
  })
}
