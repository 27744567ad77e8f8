import { expect } from 'chai'
import { createCache, type Cache } from '../../src/index.js'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'
import { heldFunction } from '../support/wait.js'

/**
 * Issue 12: an invalidation that resolved wins over everything that started before it. Each
 * test drives one interleaving with controllable function promises (no sleeps): the function
 * is held while the invalidation runs, then released with pre-invalidation data.
 */

describe('issue 12: invalidation races (Redis)', () => {
  let cache: Cache
  let observer: Cache

  beforeEach(async () => {
    const prefix = uniquePrefix('race')
    cache = createCache({ redis: sharedRedisUrl(), prefix })
    observer = createCache({ redis: sharedRedisUrl(), prefix })
    await Promise.all([cache.ready(), observer.ready()])
  })
  afterEach(async () => {
    await cache.close()
    await observer.close()
  })

  describe('defect 1: tag invalidation refuses the late write of a computation', () => {
    it('a value written after the invalidation is stored, tagged, and removed by the next one', async () => {
      const held = heldFunction<string>()
      await cache.invalidate({ tags: ['t'] })
      const call = cache.cacheFn('k', held.fn, { tags: ['t', 'u'] })
      await held.started
      held.release('new')
      expect(await call).to.equal('new')
      expect(await observer.get('k')).to.equal('new')
      expect(await observer.invalidate({ tags: ['u'] })).to.equal(1)
      expect(await observer.get('k')).to.equal(undefined)
    })
  })
})

describe('issue 12: L1 after invalidation (Redis)', () => {
  let a: Cache
  let b: Cache

  beforeEach(async () => {
    const prefix = uniquePrefix('racel1')
    a = createCache({ redis: sharedRedisUrl(), prefix, l1: {} })
    b = createCache({ redis: sharedRedisUrl(), prefix })
    await Promise.all([a.ready(), b.ready()])
  })
  afterEach(async () => {
    await a.close()
    await b.close()
  })

  it('defect 4: a read in flight does not put the old value back into L1 after the own invalidation', async () => {
    await b.set('k', 'old')
    // The read is sent before the delete, so it sees the old value; its reply comes back while
    // the invalidation is running.
    const read = a.get('k')
    const invalidated = a.invalidate({ key: 'k' })
    expect(await read).to.equal('old')
    expect(await invalidated).to.equal(1)
    expect(await a.get('k')).to.equal(undefined)
    expect(await a.cacheFn('k', () => 'new')).to.equal('new')
  })

  it('defect 4: a cacheFn read in flight does not refill L1 with the old value either', async () => {
    await b.set('k', 'old')
    const read = a.cacheFn('k', () => 'computed')
    const invalidated = a.invalidate({ key: 'k' })
    expect(await read).to.equal('old')
    await invalidated
    expect(await a.cacheFn('k', () => 'new')).to.equal('new')
  })

  it('defect 4: a write in flight does not put its value into L1 after the own invalidation', async () => {
    const write = a.set('k', 'old')
    const invalidated = a.invalidate({ key: 'k' })
    await write
    await invalidated
    expect(await a.get('k')).to.equal(undefined)
  })
})
