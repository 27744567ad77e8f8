import { expect } from 'chai'
import { CircuitBreaker, REFUSED } from '../../src/store/breaker.js'

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
    breaker.failure(breaker.allow())
    breaker.failure(breaker.allow())
    breaker.success(breaker.allow())
    breaker.failure(breaker.allow())
    breaker.failure(breaker.allow())
    expect(breaker.state).to.equal('closed')
    expect(breaker.allow()).to.be.at.least(0)
  })

  it('opens at the threshold and refuses calls during the cooldown', () => {
    for (let i = 0; i < 3; i++) breaker.failure(breaker.allow())
    expect(breaker.state).to.equal('open')
    now = 99
    expect(breaker.allow()).to.equal(REFUSED)
  })

  it('lets exactly one probe through after the cooldown; success closes', () => {
    for (let i = 0; i < 3; i++) breaker.failure(breaker.allow())
    now = 100
    const probe = breaker.allow()
    expect(probe).to.be.at.least(0)
    expect(breaker.allow()).to.equal(REFUSED)
    breaker.success(probe)
    expect(breaker.state).to.equal('closed')
    expect(changes).to.deep.equal(['closed>open', 'open>half-open', 'half-open>closed'])
  })

  it('re-opens when the probe fails, for another cooldown', () => {
    for (let i = 0; i < 3; i++) breaker.failure(breaker.allow())
    now = 150
    const probe = breaker.allow()
    expect(probe).to.be.at.least(0)
    breaker.failure(probe)
    expect(breaker.state).to.equal('open')
    now = 200
    expect(breaker.allow()).to.equal(REFUSED)
    now = 250
    expect(breaker.allow()).to.be.at.least(0)
  })
})

describe('CircuitBreaker: late results (issue 12, examine)', () => {
  let now = 0
  let changes: string[]
  let breaker: CircuitBreaker

  beforeEach(() => {
    now = 0
    changes = []
    breaker = new CircuitBreaker(
      { threshold: 2, cooldownMs: 100 },
      (s, p) => changes.push(`${p}>${s}`),
      () => now,
    )
  })

  it('a slow call admitted before the breaker opened does not close it when it succeeds late', () => {
    const slow = breaker.allow()
    breaker.failure(breaker.allow())
    breaker.failure(breaker.allow())
    expect(breaker.state).to.equal('open')
    breaker.success(slow)
    expect(breaker.state).to.equal('open')
  })

  it('a late failure is not taken for the failure of the half-open probe', () => {
    const slow = breaker.allow()
    breaker.failure(breaker.allow())
    breaker.failure(breaker.allow())
    now = 100
    const probe = breaker.allow()
    expect(breaker.state).to.equal('half-open')
    breaker.failure(slow)
    expect(breaker.state).to.equal('half-open')
    breaker.success(probe)
    expect(breaker.state).to.equal('closed')
    expect(changes).to.deep.equal(['closed>open', 'open>half-open', 'half-open>closed'])
  })

  it('a late success is not taken for the success of the half-open probe', () => {
    const slow = breaker.allow()
    breaker.failure(breaker.allow())
    breaker.failure(breaker.allow())
    now = 100
    const probe = breaker.allow()
    breaker.success(slow)
    expect(breaker.state).to.equal('half-open')
    breaker.failure(probe)
    expect(breaker.state).to.equal('open')
  })

  it('a late failure from before a recovery does not count toward opening it again', () => {
    const slow = breaker.allow()
    breaker.failure(breaker.allow())
    breaker.failure(breaker.allow())
    now = 100
    breaker.success(breaker.allow())
    expect(breaker.state).to.equal('closed')
    breaker.failure(slow)
    breaker.failure(breaker.allow())
    expect(breaker.state).to.equal('closed')
  })

  it('admits() says what allow() would answer, and claims nothing', () => {
    expect(breaker.admits()).to.equal(true)
    for (let i = 0; i < 3; i++) breaker.failure(breaker.allow())
    expect(breaker.admits(), 'open, cooling down').to.equal(false)
    now = 100
    expect(breaker.admits(), 'the probe slot is free').to.equal(true)
    expect(breaker.state, 'asking did not move it to half-open').to.equal('open')
    const probe = breaker.allow()
    expect(breaker.admits(), 'the probe is out').to.equal(false)
    breaker.success(probe)
    expect(breaker.admits()).to.equal(true)
  })
})
