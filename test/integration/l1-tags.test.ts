import { expect } from 'chai'
import { createCache, MemoryStore } from '../../src/index.js'

describe('L1 and tag invalidation', () => {
  it("drops the instance's own copies even when the store lost the tag set (a restart)", async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, prefix: 'p', l1: {} })
    try {
      await cache.set('k', 'old', { tags: ['t'] })
      await cache.get('k')
      expect((await cache.getEntry('k'))?.tier).to.equal('l1')
      // What a store restart does: the entry and its tag set are gone from the store.
      await store.delete(['p:v:{default:k}', 'p:tz:{t}'])
      expect(await cache.invalidate({ tags: ['t'] })).to.equal(0)
      expect(await cache.get('k')).to.equal(undefined)
    } finally {
      await cache.close()
      await store.close()
    }
  })
})
