import { expect } from 'chai'
import { CircuitBreaker } from '../../src/store/breaker.js'

describe('CircuitBreaker', () => {
  let now = 0
  let changes: string[]
  let breaker: CircuitBreaker

  beforeEach(() => {
    now = 0
    changes = []
    breaker = new CircuitBreaker(
      { threshold: 3, cooldownMs: 100 },
      (s, p) => changes.push(`${p}>${s}`),
      () => now,
    )
  })

  it('stays closed below the threshold and resets on success', () => {
    breaker.failure()
    breaker.failure()
    breaker.success()
    breaker.failure()
    breaker.failure()
    expect(breaker.state).to.equal('closed')
    expect(breaker.allow()).to.equal(true)
  })

  it('opens at the threshold and refuses calls during the cooldown', () => {
    for (let i = 0; i < 3; i++) breaker.failure()
    expect(breaker.state).to.equal('open')
    now = 99
    expect(breaker.allow()).to.equal(false)
  })

  it('lets exactly one probe through after the cooldown; success closes', () => {
    for (let i = 0; i < 3; i++) breaker.failure()
    now = 100
    expect(breaker.allow()).to.equal(true)
    expect(breaker.allow()).to.equal(false)
    breaker.success()
    expect(breaker.state).to.equal('closed')
    expect(changes).to.deep.equal(['closed>open', 'open>half-open', 'half-open>closed'])
  })

  it('re-opens when the probe fails, for another cooldown', () => {
    for (let i = 0; i < 3; i++) breaker.failure()
    now = 150
    expect(breaker.allow()).to.equal(true)
    breaker.failure()
    expect(breaker.state).to.equal('open')
    now = 200
    expect(breaker.allow()).to.equal(false)
    now = 250
    expect(breaker.allow()).to.equal(true)
  })
})
