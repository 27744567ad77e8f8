import { expect } from 'chai'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
import type { Store } from '../../src/store/store.js'

/**
 * A store of two shards, as a Redis Cluster of two masters looks to the cache: keys naming
 * `dead` live on master D, which refuses every command (a killed master), the rest on H.
 */
function twoShards(): { store: Store; sentToDead: () => number } {
  const memory = new MemoryStore()
  const onDead = (key: string): boolean => key.includes('dead')
  let sentToDead = 0
  const refuse = (): Promise<never> => {
    sentToDead++
    return Promise.reject(new Error('connect ECONNREFUSED (master D)'))
  }
  const store = new Proxy(memory, {
    get(target, property) {
      if (property === 'shardOf') return (key: string) => (onDead(key) ? 'D' : 'H')
      if (property === 'run') {
        return (calls: Parameters<Store['run']>[0]) =>
          calls.some((call) => call.keys.some(onDead)) ? refuse() : target.run(calls)
      }
      if (property === 'get') {
        return (key: string) => (onDead(key) ? refuse() : target.get(key))
      }
      const value: unknown = Reflect.get(target, property)
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value
    },
  }) as Store
  return { store, sentToDead: () => sentToDead }
}

/**
 * Issue 14, gap 3: a tagged computation (its re-check, its write, its tag registrations) spans
 * the entry's master and each tag set's master. It used to count toward the store-wide breaker:
 * the failures of the calls that need a dead master opened it, and then every tagged
 * computation on every master failed open (computed, not stored) for the cooldown.
 */
describe('tagged calls on a sharded store: breakers per master', () => {
  let cache: Cache
  let shards: ReturnType<typeof twoShards>

  beforeEach(() => {
    shards = twoShards()
    cache = createCache({
      store: shards.store,
      l1: false,
      breaker: { threshold: 3, cooldown: '1m' },
    })
    cache.on('error', () => undefined)
  })
  afterEach(() => cache.close())

  it("a dead master's tag set does not make tagged calls on healthy masters fail open", async () => {
    // Entries on H carrying a tag whose set lives on D: they cannot be registered, so they fail
    // open (rightly), and their failures count toward D's breaker, which opens.
    for (let i = 0; i < 6; i++) {
      const result = await cache.cacheFnResult(`k${i}`, () => i, { tags: ['dead'] })
      expect(result.degraded, `call ${i} needs master D`).to.equal(true)
    }
    // A tag on H, an entry on H: nothing of it needs D.
    const first = await cache.cacheFnResult('fine', () => 'v', { tags: ['alive'] })
    expect(first, 'a tagged call on H').to.include({ status: 'miss', degraded: false })
    const again = await cache.cacheFnResult('fine', () => 'w', { tags: ['alive'] })
    expect(again, 'its entry was stored').to.include({ status: 'hit', value: 'v' })
    await cache.invalidate({ tags: ['alive'] })
    const after = await cache.cacheFnResult('fine', () => 'x', { tags: ['alive'] })
    expect(after, 'and its tag was registered').to.include({ status: 'miss', value: 'x' })
  })

  it("once D's breaker is open, calls that need D fail open without being sent", async () => {
    for (let i = 0; i < 10; i++) await cache.cacheFnResult(`k${i}`, () => i, { tags: ['dead'] })
    // The calls sent before the breaker opened (threshold 3); none after.
    expect(shards.sentToDead()).to.be.at.most(3)
  })
})
