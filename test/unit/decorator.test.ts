import { expect } from 'chai'
import { cached, createCache, MemoryStore, type Cache } from '../../src/index.js'
import { stableKey } from '../../src/stable-key.js'

describe('@cached method decorator', () => {
  let cache: Cache

  beforeEach(() => {
    cache = createCache({ store: new MemoryStore() })
  })
  afterEach(() => cache.close())

  it('caches a method per distinct arguments, through cacheFn', async () => {
    const { cached: cachedMethod } = cache
    let runs = 0
    class Predictions {
      @cachedMethod({ ttl: '1m', namespace: 'predictions' })
      async forMatch(id: number, options: { model: string }): Promise<string> {
        runs++
        return Promise.resolve(`${id}:${options.model}:${runs}`)
      }
    }
    const service = new Predictions()
    expect(await service.forMatch(1, { model: 'elo' })).to.equal('1:elo:1')
    expect(await service.forMatch(1, { model: 'elo' })).to.equal('1:elo:1')
    expect(await service.forMatch(2, { model: 'elo' })).to.equal('2:elo:2')
    expect(
      await Promise.all([service.forMatch(3, { model: 'x' }), service.forMatch(3, { model: 'x' })]),
    ).to.deep.equal(['3:x:3', '3:x:3'])
    expect(runs).to.equal(3)
    const entry = await cache.getEntry('Predictions.forMatch(1,{"model":"elo"})', {
      namespace: 'predictions',
    })
    expect(entry?.value).to.equal('1:elo:1')
  })

  it('keeps `this` and accepts a custom key function', async () => {
    class Teams {
      readonly league = 'premier'
      @cached(cache, { key: (team: string) => `team:${team}` })
      async stats(team: string): Promise<string> {
        return Promise.resolve(`${this.league}/${team}`)
      }
    }
    expect(await new Teams().stats('arsenal')).to.equal('premier/arsenal')
    expect(await cache.get('team:arsenal')).to.equal('premier/arsenal')
  })

  it('rethrows method errors unchanged', async () => {
    const boom = new Error('boom')
    class Failing {
      @cached(cache)
      async fail(): Promise<number> {
        return Promise.reject(boom)
      }
    }
    expect(await new Failing().fail().catch((e: unknown) => e)).to.equal(boom)
  })
})

describe('stableKey', () => {
  it('is deterministic and keeps types apart', () => {
    expect(stableKey({ b: 1, a: [1, '1'] })).to.equal(stableKey({ a: [1, '1'], b: 1 }))
    const distinct = [
      1,
      '1',
      null,
      undefined,
      1n,
      new Date(1),
      [1],
      { 1: 1 },
      new Set([1]),
      new Map([[1, 1]]),
    ]
    expect(new Set(distinct.map(stableKey)).size).to.equal(distinct.length)
    expect(stableKey(new Set([2, 1]))).to.equal(stableKey(new Set([1, 2])))
  })

  it('refuses functions and cycles', () => {
    const cycle: unknown[] = []
    cycle.push(cycle)
    expect(() => stableKey(() => 1)).to.throw(TypeError)
    expect(() => stableKey(cycle)).to.throw(TypeError, 'circular')
  })
})
