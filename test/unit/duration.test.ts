import { expect } from 'chai'
import { parseDuration } from '../../src/duration.js'
import { InvalidOptionError, OptionRangeError } from '../../src/errors.js'

describe('parseDuration', () => {
  it('reads numbers as milliseconds and strings with units', () => {
    expect(parseDuration(250, 'ttl')).to.equal(250)
    expect(parseDuration('250ms', 'ttl')).to.equal(250)
    expect(parseDuration('30s', 'ttl')).to.equal(30_000)
    expect(parseDuration('5m', 'ttl')).to.equal(300_000)
    expect(parseDuration('1h', 'ttl')).to.equal(3_600_000)
    expect(parseDuration('1d', 'ttl')).to.equal(86_400_000)
    expect(parseDuration('1.5s', 'ttl')).to.equal(1_500)
    expect(parseDuration(' 2 m ', 'ttl')).to.equal(120_000)
  })

  it('rounds fractions of a millisecond up, never down to "expire now"', () => {
    expect(parseDuration(0.2, 'ttl')).to.equal(1)
    expect(parseDuration('0.5ms', 'ttl')).to.equal(1)
  })

  it('rejects zero unless allowed', () => {
    expect(() => parseDuration(0, 'ttl')).to.throw(OptionRangeError, '"ttl" must be greater than 0')
    expect(parseDuration(0, 'timeout', { allowZero: true })).to.equal(0)
    expect(parseDuration('0s', 'timeout', { allowZero: true })).to.equal(0)
  })

  it('names the option in type errors', () => {
    expect(() => parseDuration('5 minutes', 'defaultTtl')).to.throw(
      InvalidOptionError,
      /"defaultTtl"/,
    )
    expect(() => parseDuration('10', 'lockTtl')).to.throw(InvalidOptionError, /"lockTtl"/)
    expect(() => parseDuration({}, 'ttl')).to.throw(InvalidOptionError, /got an object/)
    expect(() => parseDuration(null, 'ttl')).to.throw(InvalidOptionError, /got null/)
  })

  it('names the option in range errors', () => {
    expect(() => parseDuration(-1, 'ttl')).to.throw(OptionRangeError, /"ttl".*non-negative/)
    expect(() => parseDuration(Number.NaN, 'ttl')).to.throw(OptionRangeError)
    expect(() => parseDuration(Number.POSITIVE_INFINITY, 'ttl')).to.throw(OptionRangeError)
    expect(() => parseDuration('4000d', 'ttl')).to.throw(OptionRangeError, /at most 10 years/)
  })

  it('gives errors a stable code', () => {
    try {
      parseDuration('soon', 'ttl')
      expect.fail('should throw')
    } catch (error) {
      expect(error).to.be.instanceOf(TypeError)
      expect((error as InvalidOptionError).code).to.equal('E_INVALID_OPTION')
      expect((error as InvalidOptionError).option).to.equal('ttl')
    }
  })
})
