import { expect } from 'chai'
import { keySlot } from '../../src/store/redis-slot.js'

describe('keySlot (Redis Cluster key slots)', () => {
  // Slots as Redis computes them (CLUSTER KEYSLOT), hash tags included.
  const KNOWN: readonly [string, number][] = [
    ['foo', 12182],
    ['bar', 5061],
    ['hello', 866],
    ['somekey', 11058],
    ['{user1000}.following', 3443],
    ['{}x', 10595],
    ['{a}{b}', 15495],
    ['herdlock:v:{default:key-0}', 2216],
    ['ü{}', 6271],
  ]
  for (const [key, slot] of KNOWN) {
    it(`${JSON.stringify(key)} is in slot ${slot}`, () => {
      expect(keySlot(key)).to.equal(slot)
    })
  }

  it('keys sharing a hash tag share a slot', () => {
    expect(keySlot('p:v:{ns:k}')).to.equal(keySlot('p:f:{ns:k}'))
    expect(keySlot('p:v:{ns:k}')).to.equal(keySlot('ns:k'))
  })
})
