import { expect } from 'chai'
import { createClient } from 'redis'
import {
  createCache,
  MemoryStore,
  type Cache,
  type ScriptReply,
  type Store,
} from '../../src/index.js'
import { Keyspace } from '../../src/entries/keyspace.js'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'
import { sleep } from '../support/wait.js'

/**
 * Item 14: tag sets (every path tag of cacheRoute is one) are bounded by the entries that may
 * still exist, and invalidation reads them in bounded batches while still reaching every live
 * entry of the tag.
 */

/** A store that records the largest array any script call returned. */
function measuring(store: Store): { store: Store; largestReply: () => number } {
  let largest = 0
  const wrapped = new Proxy(store, {
    get(target, name, receiver) {
      if (name !== 'run') {
        const value: unknown = Reflect.get(target, name, receiver)
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value
      }
      return async (calls: Parameters<Store['run']>[0]) => {
        const replies = await target.run(calls)
        for (const reply of replies) {
          if (Array.isArray(reply)) largest = Math.max(largest, (reply as ScriptReply[]).length)
        }
        return replies
      }
    },
  })
  return { store: wrapped, largestReply: () => largest }
}

describe('item 14: tag sets stay bounded', function () {
  this.timeout(60_000)

  it('invalidating a tag of 1,800 entries reads bounded batches and removes every entry', async () => {
    const { store, largestReply } = measuring(new MemoryStore())
    const cache = createCache({ store })
    try {
      const entries = Array.from({ length: 1_800 }, (_, i) => ({
        key: `k${i}`,
        value: i,
        tags: ['path:routes:/big'],
      }))
      await cache.setMany(entries, { ttl: '1m' })
      expect(await cache.invalidate({ tags: ['path:routes:/big'] })).to.equal(1_800)
      // Batches of at most 500 members, each with its score.
      expect(largestReply()).to.be.at.most(1_000)
      const left = await cache.getMany(entries.map((entry) => entry.key))
      expect(left.filter((value) => value !== undefined)).to.deep.equal([])
    } finally {
      await cache.close()
    }
  })

  describe('on Redis', () => {
    let cache: Cache
    let redis: ReturnType<typeof createClient>
    let prefix: string

    beforeEach(async () => {
      prefix = uniquePrefix('tagbound')
      cache = createCache({ redis: sharedRedisUrl(), prefix })
      redis = createClient({ url: sharedRedisUrl() })
      await redis.connect()
    })
    afterEach(async () => {
      await cache.close()
      redis.destroy()
    })

    /** How many members the tag set holds, whatever its Redis type. */
    async function members(tag: string): Promise<number> {
      const name = new Keyspace(prefix).tagSet(tag)
      const type = await redis.type(name)
      if (type === 'none') return 0
      return Number(await redis.sendCommand([type === 'zset' ? 'ZCARD' : 'SCARD', name]))
    }

    it('drops members whose entries expired when the tag is written again', async () => {
      await cache.set('anchor', 0, { ttl: '1m', tags: ['hot'] })
      for (let i = 0; i < 50; i++) await cache.set(`short${i}`, i, { ttl: 500, tags: ['hot'] })
      // Entries expire on Redis's own clock; nothing to await but time.
      await sleep(600)
      await cache.set('long', 1, { ttl: '1m', tags: ['hot'] })
      expect(await members('hot')).to.equal(2)
      expect(await cache.invalidate({ tags: ['hot'] })).to.equal(2)
      expect(await members('hot')).to.equal(0)
    })

    it('a rewritten entry stays one member, and the set expires with its last entry', async () => {
      for (let i = 0; i < 20; i++) await cache.set('same', i, { ttl: '1m', tags: ['one'] })
      await cache.set('brief', 1, { ttl: 200, tags: ['brief'] })
      expect(await members('one')).to.equal(1)
      const pttl = Number(await redis.sendCommand(['PTTL', new Keyspace(prefix).tagSet('brief')]))
      expect(pttl).to.be.greaterThan(0).and.at.most(200)
    })
  })
})
