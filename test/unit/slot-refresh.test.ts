import { expect } from 'chai'
import { ErrorReply } from 'redis'
import { slotRefresher } from '../../src/store/redis-slot-refresh.js'

describe('slotRefresher (a failing cluster asks for a new slot map)', () => {
  function counting(): { rediscover: () => Promise<void>; readonly asked: number } {
    let asked = 0
    return {
      rediscover: () => {
        asked++
        return Promise.resolve()
      },
      get asked() {
        return asked
      },
    }
  }

  it('asks on a connection failure, at most once per interval', () => {
    const slots = counting()
    const failed = slotRefresher(slots, 60_000)
    failed(new Error('Socket closed unexpectedly'))
    failed(new Error('timeout'))
    expect(slots.asked).to.equal(1)
  })

  it('asks again once the interval has passed', async () => {
    const slots = counting()
    const failed = slotRefresher(slots, 5)
    failed(new Error('timeout'))
    await new Promise((resolve) => setTimeout(resolve, 10))
    failed(new Error('timeout'))
    expect(slots.asked).to.equal(2)
  })

  it('does not ask on a Redis error reply (the node answered)', () => {
    const slots = counting()
    slotRefresher(slots, 0)(new ErrorReply('NOSCRIPT No matching script'))
    expect(slots.asked).to.equal(0)
  })

  it('does nothing for a cluster without a slot map it can ask, and swallows a failed ask', async () => {
    expect(() => slotRefresher(undefined)(new Error('x'))).not.to.throw()
    const failing = { rediscover: () => Promise.reject(new Error('no node answered')) }
    slotRefresher(failing, 0)(new Error('x'))
    await new Promise((resolve) => setImmediate(resolve))
  })
})
