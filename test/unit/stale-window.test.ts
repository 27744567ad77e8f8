import { expect } from 'chai'
import { createCache, MemoryStore } from '../../src/index.js'
import { sleep } from '../support/wait.js'

/**
 * A value stored without a stale window (its writer said "never stale", as HTTP's
 * `must-revalidate` does) is never served stale by a reader whose own options allow it, even
 * while the store still holds the entry: a store expires it a little after its freshness ends
 * (the round trip to Redis), and here a store clock running ten times slower than the real
 * one makes that lag certain.
 */
describe('stale windows are bounded by the entry, not only by the reader', () => {
  const lagging = () => {
    const start = Date.now()
    const now = () => start + (Date.now() - start) / 10
    return createCache({ store: new MemoryStore({ now }), l1: false })
  }

  it('stale-while-revalidate: a value written without a window is recomputed, not served stale', async () => {
    const cache = lagging()
    try {
      await cache.cacheFn('k', () => 'v1', { ttl: 30, staleWhileRevalidate: 0 })
      await sleep(60)
      const result = await cache.cacheFnResult('k', () => 'v2', {
        ttl: 30,
        staleWhileRevalidate: '1m',
      })
      expect(result).to.include({ value: 'v2', status: 'miss' })
    } finally {
      await cache.close()
    }
  })

  it('stale-if-error: a value written without a window is not a fallback', async () => {
    const cache = lagging()
    try {
      await cache.cacheFn('k', () => 'v1', { ttl: 30, staleIfError: 0 })
      await sleep(60)
      const failing = cache.cacheFn('k', () => Promise.reject(new Error('down')), {
        ttl: 30,
        staleIfError: '1m',
      })
      await failing.then(
        () => expect.fail('the stale value must not stand in'),
        (error: Error) => expect(error.message).to.equal('down'),
      )
    } finally {
      await cache.close()
    }
  })

  it('a value written with a window is still served stale within it', async () => {
    const cache = lagging()
    try {
      await cache.cacheFn('k', () => 'v1', { ttl: 30, staleWhileRevalidate: '1m' })
      await sleep(60)
      const result = await cache.cacheFnResult('k', () => 'v2', {
        ttl: 30,
        staleWhileRevalidate: '1m',
      })
      expect(result).to.include({ value: 'v1', status: 'stale' })
    } finally {
      await cache.close()
    }
  })
})
