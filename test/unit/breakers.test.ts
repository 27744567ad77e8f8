import { expect } from 'chai'
import { StoreBreakers } from '../../src/store/breakers.js'

describe('StoreBreakers (per shard on a sharded store)', () => {
  const settings = { threshold: 2, cooldownMs: 1_000 }
  const shardOf = (key: string): string | undefined =>
    key.startsWith('a') ? 'A' : key.startsWith('b') ? 'B' : undefined

  function failTwice(breakers: StoreBreakers, key?: string): void {
    for (let i = 0; i < 2; i++) {
      const breaker = breakers.for(key)
      breaker.failure(breaker.allow())
    }
  }

  it("a shard's failures open its breaker only: the other shards and the store stay closed", () => {
    const changes: string[] = []
    const breakers = new StoreBreakers(
      settings,
      (state, _previous, shard) => changes.push(`${shard ?? '*'}:${state}`),
      shardOf,
    )
    failTwice(breakers, 'a1')
    expect(breakers.for('a2').allow()).to.be.below(0)
    expect(breakers.for('b1').allow()).to.be.at.least(0)
    expect(breakers.for().allow()).to.be.at.least(0)
    expect(changes).to.deep.equal(['A:open'])
    expect(breakers.state).to.equal('open')
  })

  it('calls without a key, or with a key of no shard, share the store-wide breaker', () => {
    const breakers = new StoreBreakers(settings, () => undefined, shardOf)
    failTwice(breakers, 'z')
    expect(breakers.for().allow()).to.be.below(0)
    expect(breakers.for('a1').allow()).to.be.at.least(0)
  })

  it('without shards (one server) every call shares one breaker', () => {
    const breakers = new StoreBreakers(settings, () => undefined)
    failTwice(breakers, 'a1')
    expect(breakers.for('b1').allow()).to.be.below(0)
  })

  it('forgets a shard no call asked for lately (its slots moved): the state recovers', () => {
    let now = 0
    const breakers = new StoreBreakers(
      settings,
      () => undefined,
      shardOf,
      () => now,
    )
    failTwice(breakers, 'a1')
    expect(breakers.state).to.equal('open')
    now += 60_000
    expect(breakers.state).to.equal('closed')
  })

  it('on a sharded store, an open store-wide breaker no call asks for stops counting in the state', () => {
    let now = 0
    const breakers = new StoreBreakers(
      settings,
      () => undefined,
      shardOf,
      () => now,
    )
    failTwice(breakers)
    expect(breakers.state).to.equal('open')
    // Only single-key traffic from here on: the store-wide breaker is never asked again.
    now += 60_000
    breakers.for('a1').success(breakers.for('a1').allow())
    expect(breakers.state).to.equal('closed')
  })

  it("forgets an idle shard's breaker on the lookup path, without anyone reading the state", () => {
    let now = 0
    const breakers = new StoreBreakers(
      settings,
      () => undefined,
      shardOf,
      () => now,
    )
    failTwice(breakers, 'a1')
    breakers.for('b1')
    expect(breakers.shards).to.deep.equal(['A', 'B'])
    // Only B's keys are asked for from here on (A's slots moved to another master).
    for (let t = 0; t < 10; t++) {
      now += 1_000
      breakers.for('b1')
    }
    expect(breakers.shards).to.deep.equal(['B'])
  })

  it('keeps an idle open breaker until its cooldown has passed (a long cooldown outlasts the idle time)', () => {
    let now = 0
    const breakers = new StoreBreakers(
      { threshold: 2, cooldownMs: 10_000 },
      () => undefined,
      shardOf,
      () => now,
    )
    failTwice(breakers, 'a1')
    now += 5_000
    breakers.for('b1')
    expect(breakers.shards).to.include('A')
    expect(breakers.for('a1').allow(), 'still open: its cooldown runs').to.be.below(0)
  })

  it('clear() forgets every shard breaker (the cache closed)', () => {
    const breakers = new StoreBreakers(settings, () => undefined, shardOf)
    failTwice(breakers, 'a1')
    breakers.for('b1')
    breakers.clear()
    expect(breakers.shards).to.deep.equal([])
    expect(breakers.state).to.equal('closed')
  })
})
