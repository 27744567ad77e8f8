import { expect } from 'chai'
import { MemoryStore } from '../../src/store/memory-store.js'

// The Store contract runs against the memory store in test/contract/every-backend.test.ts.

describe('MemoryStore bounds', () => {
  it('evicts least recently used entries beyond its byte budget', async () => {
    const store = new MemoryStore({ maxBytes: 10_000 })
    const value = Buffer.alloc(1_000)
    for (let i = 0; i < 30; i++) {
      await store.set(`k${i}`, value, 60_000)
      if (i === 5) await store.get('k0') // k0 becomes recently used
    }
    expect(store.bytes).to.be.at.most(10_000)
    expect(await store.get('k29')).to.not.equal(undefined)
    expect(await store.get('k1')).to.equal(undefined)
    await store.close()
  })

  it('never stores a single value larger than the whole budget', async () => {
    const store = new MemoryStore({ maxBytes: 1_000 })
    await store.set('big', Buffer.alloc(5_000), 60_000)
    expect(await store.get('big')).to.equal(undefined)
    expect(store.bytes).to.equal(0)
    await store.close()
  })

  it('expires entries on its injected clock and frees their bytes', async () => {
    let now = 1_000
    const store = new MemoryStore({ now: () => now })
    await store.set('a', Buffer.from('x'), 100)
    now += 99
    expect(String(await store.get('a'))).to.equal('x')
    now += 1
    expect(await store.get('a')).to.equal(undefined)
    expect(store.bytes).to.equal(0)
    await store.close()
  })

  it('refuses calls after close with a store error', async () => {
    const store = new MemoryStore()
    await store.close()
    let error: unknown
    await store.get('a').catch((e: unknown) => (error = e))
    expect((error as { code: string }).code).to.equal('E_STORE')
  })
})
