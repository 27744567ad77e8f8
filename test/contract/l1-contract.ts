import { expect } from 'chai'
import { createCache, type Cache, type CacheOptions } from '../../src/index.js'
import { nextEvent, record } from '../support/events.js'
import { uniquePrefix } from '../support/redis.js'

/** The L1 tier's behaviour: served without the store, coherent across instances, bounded. */
export function describeL1Contract(name: string, backend: () => CacheOptions): void {
  describe(`L1 tier: ${name}`, () => {
    let a: Cache
    let b: Cache

    beforeEach(async () => {
      const shared = { ...backend(), prefix: uniquePrefix('l1') }
      a = createCache({ ...shared, l1: { maxBytes: 64 * 1024 } })
      b = createCache({ ...shared, l1: {} })
      await Promise.all([a.ready(), b.ready()])
    })
    afterEach(async () => {
      await a.close()
      await b.close()
    })

    it('serves repeat reads from memory, as fresh copies', async () => {
      await a.cacheFn('k', () => ({ list: [1, 2] }))
      const hits = record(a, 'cache:hit')
      const first = await a.cacheFn<{ list: number[] }>('k', () => ({ list: [] }))
      first.list.push(3)
      const second = await a.cacheFnResult<{ list: number[] }>('k', () => ({ list: [] }))
      expect(second.value).to.deep.equal({ list: [1, 2] })
      expect(second.tier).to.equal('l1')
      expect(hits.map((h) => h.tier)).to.deep.equal(['l1', 'l1'])
      expect((await a.getEntry('k'))!.tier).to.equal('l1')
    })

    it('drops its copy when another instance writes the key', async () => {
      await a.set('k', 'v1')
      expect(await a.get('k')).to.equal('v1')
      const evicted = nextEvent(a, 'l1:evict', (e) => e.reason === 'remote')
      await b.set('k', 'v2')
      await evicted
      expect(await a.get('k')).to.equal('v2')
    })

    it('drops its copy when another instance deletes or invalidates', async () => {
      await a.set('x', 1, { namespace: 'n' })
      await a.set('y', 2, { namespace: 'n' })
      expect(await a.getMany(['x', 'y'], { namespace: 'n' })).to.deep.equal([1, 2])
      let evicted = nextEvent(a, 'l1:evict')
      await b.delete('x', { namespace: 'n' })
      await evicted
      expect(await a.get('x', { namespace: 'n' })).to.equal(undefined)
      evicted = nextEvent(a, 'l1:evict', (e) => e.namespace === 'n')
      await b.invalidate({ namespace: 'n' })
      await evicted
      expect(await a.get('y', { namespace: 'n' })).to.equal(undefined)
    })

    it('reflects its own invalidations at once', async () => {
      await a.set('z', 1, { namespace: 'own', tags: ['t'] })
      expect(await a.get('z', { namespace: 'own' })).to.equal(1)
      await a.invalidate({ namespace: 'own' })
      expect(await a.get('z', { namespace: 'own' })).to.equal(undefined)
      await a.set('z', 2, { namespace: 'own', tags: ['t'] })
      await a.invalidate({ tags: ['t'] })
      expect(await a.get('z', { namespace: 'own' })).to.equal(undefined)
    })

    it('stays within its byte budget', async () => {
      const lru = record(a, 'l1:evict')
      const big = 'x'.repeat(4_000)
      for (let i = 0; i < 40; i++) await a.set(`big:${i}`, big)
      expect(lru.filter((e) => e.reason === 'lru').length).to.be.above(0)
      // The newest entries stay in memory; the oldest were evicted (and come from the store).
      expect((await a.getEntry('big:39'))!.tier).to.equal('l1')
      expect((await a.getEntry('big:0'))!.tier).to.equal('store')
    })
  })
}
