import { expect } from 'chai'
import { createCache, MemoryStore, type Cache, type CacheOptions } from '../../src/index.js'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'
import { sleep } from '../support/wait.js'

/**
 * Review of getEntry({ stale: true }) with the L1 tier on, on memory and Redis: the entry is
 * read from L1 or the store alike, and a stale read counts as a miss, never as a hit.
 */

const BACKENDS: readonly { name: string; options: () => CacheOptions }[] = [
  { name: 'memory', options: () => ({ store: new MemoryStore() }) },
  { name: 'redis', options: () => ({ redis: sharedRedisUrl(), prefix: uniquePrefix('stale') }) },
]

for (const backend of BACKENDS) {
  describe(`review: getEntry({ stale: true }) with L1 on ${backend.name}`, () => {
    let a: Cache
    let b: Cache

    beforeEach(() => {
      const shared = backend.options()
      a = createCache({ ...shared, l1: {} })
      b = backend.name === 'memory' ? a : createCache({ ...shared, l1: {} })
    })
    afterEach(async () => {
      await a.close()
      if (b !== a) await b.close()
    })

    it('returns the stale entry from L1 and from the store, counted as misses', async () => {
      await a.cacheFn('k', () => 'old', { ttl: 50, staleIfError: '1m' })
      expect((await b.getEntry('k'))?.value).to.equal('old') // b's L1 holds it too
      await sleep(80)
      const events: string[] = []
      for (const cache of [a, b]) {
        cache.on('cache:hit', () => events.push('hit'))
        cache.on('cache:miss', () => events.push('miss'))
      }
      expect(await a.getEntry('k')).to.equal(undefined)
      expect((await a.getEntry<string>('k', { stale: true }))?.value).to.equal('old')
      expect((await b.getEntry<string>('k', { stale: true }))?.value).to.equal('old')
      expect(events.filter((e) => e === 'hit')).to.deep.equal([])
    })
  })
}
