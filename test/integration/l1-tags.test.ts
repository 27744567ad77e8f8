import { expect } from 'chai'
import { createCache, MemoryStore } from '../../src/index.js'

/** The memory store delivers pub/sub messages one turn of the loop later (setImmediate). */
function delivered(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

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

  it("drops other instances' copies too, by tag, even when the store lost the tag set", async () => {
    const store = new MemoryStore()
    const holder = createCache({ store, prefix: 'p', l1: {} })
    const invalidator = createCache({ store, prefix: 'p' })
    try {
      await Promise.all([holder.ready(), invalidator.ready()])
      await holder.set('k', 'old', { tags: ['t'] })
      await holder.get('k')
      expect((await holder.getEntry('k'))?.tier).to.equal('l1')
      await store.delete(['p:v:{default:k}', 'p:tz:{t}'])
      await invalidator.invalidate({ tags: ['t'] })
      await delivered()
      expect(await holder.get('k')).to.equal(undefined)
    } finally {
      await holder.close()
      await invalidator.close()
      await store.close()
    }
  })

  it('one notice per tag invalidation, not one per entry', async () => {
    const store = new MemoryStore()
    const cache = createCache({ store, prefix: 'p' })
    const published: string[] = []
    const unsubscribe = await store.subscribe('p:bus', (message) => published.push(message))
    try {
      await cache.setMany(
        Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: i, tags: ['t'] })),
      )
      await delivered()
      published.length = 0
      expect(await cache.invalidate({ tags: ['t'] })).to.equal(50)
      await delivered()
      expect(published).to.have.length(1)
    } finally {
      await unsubscribe()
      await cache.close()
      await store.close()
    }
  })
})
