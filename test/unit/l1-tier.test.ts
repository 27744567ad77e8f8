import { expect } from 'chai'
import type { Bus } from '../../src/bus/bus.js'
import type { EntryMeta } from '../../src/codec/envelope.js'
import { CacheEvents } from '../../src/observe/events.js'
import { L1Tier } from '../../src/entries/l1.js'
import type { SubscriptionState } from '../../src/store/store.js'

/** The tier alone: a bus subscribed once that never delivers, entries of a known size. */
function tier(maxBytes: number): L1Tier {
  return unsubscribedTier(maxBytes).subscribed()
}

/** The tier on a bus that has not subscribed yet; `subscribed()` brings its subscription up. */
function unsubscribedTier(maxBytes: number): { l1: L1Tier; subscribed: () => L1Tier } {
  let report: (state: SubscriptionState) => void = () => undefined
  const bus = {
    listen: () => undefined,
    onSubscription: (listener: (state: SubscriptionState) => void) => (report = listener),
  } as unknown as Bus
  const l1 = new L1Tier({ maxBytes, maxTtlMs: 60_000 }, bus, new CacheEvents())
  return {
    l1,
    subscribed: () => {
      report('restored')
      return l1
    },
  }
}

const now = 1_000_000
const meta = {
  createdAt: now,
  freshUntil: now + 60_000,
  staleUntil: now + 60_000,
  fence: 1,
  kind: 'value',
  codec: 'json',
  tags: [],
} as unknown as EntryMeta
const payload = Buffer.alloc(100)
// One slot: payload + key (2 bytes a char) + overhead; keys here are 2 characters long.
const SLOT = 100 + 4 + 512

describe('L1Tier eviction order', () => {
  it('evicts the least recently used slot when only a few are held', () => {
    const l1 = tier(3 * SLOT)
    for (const key of ['k0', 'k1', 'k2']) l1.set(key, 'n', meta, payload, now)
    expect(l1.get('k0', now)).to.not.equal(undefined)
    l1.set('k3', 'n', meta, payload, now)
    expect(l1.get('k1', now)).to.equal(undefined)
    expect(['k0', 'k2', 'k3'].map((key) => l1.get(key, now) !== undefined)).to.deep.equal([
      true,
      true,
      true,
    ])
  })

  it('keeps slots that are read often however many others come and go', () => {
    const l1 = tier(60 * SLOT)
    for (let i = 0; i < 50; i++) l1.set(`k${i % 10}${Math.floor(i / 10)}`, 'n', meta, payload, now)
    let fresh = 0
    const hot = ['k00', 'k10', 'k20']
    for (let round = 0; round < 40; round++) {
      for (const key of hot)
        expect(l1.get(key, now), `${key} in round ${round}`).to.not.equal(undefined)
      // Five new slots per round push five old ones out.
      for (let j = 0; j < 5; j++) l1.set(`x${fresh++}`, 'n', meta, payload, now)
    }
    for (const key of hot) expect(l1.get(key, now)).to.not.equal(undefined)
    // The cold ones of the start are long gone.
    expect(l1.get('k41', now)).to.equal(undefined)
    expect(l1.get('k94', now)).to.equal(undefined)
    expect(l1.bytes).to.be.at.most(60 * SLOT)
  })
})

describe('L1Tier tag drops', () => {
  const tagged = (tags: string[]): EntryMeta => ({ ...meta, tags })

  it('drops the slots carrying a tag, and only those', () => {
    const l1 = tier(10 * SLOT)
    l1.set('k1', 'n', tagged(['t1']), payload, now)
    l1.set('k2', 'n', tagged(['t2', 't1']), payload, now)
    l1.set('k3', 'n', tagged(['t3']), payload, now)
    expect(l1.dropTagged(['t1'])).to.equal(2)
    expect(['k1', 'k2', 'k3'].map((key) => l1.get(key, now) !== undefined)).to.deep.equal([
      false,
      false,
      true,
    ])
  })

  it('refuses a read in flight before the drop that would put a tagged copy back', () => {
    const l1 = tier(10 * SLOT)
    const before = l1.ticket()
    l1.dropTagged(['t1'])
    l1.set('k1', 'n', tagged(['t1']), payload, now, before)
    expect(l1.get('k1', now)).to.equal(undefined)
    // Other tags, and reads that started after the drop, are held as usual.
    l1.set('k2', 'n', tagged(['t2']), payload, now, before)
    l1.set('k3', 'n', tagged(['t1']), payload, now, l1.ticket())
    expect(l1.get('k2', now)).to.not.equal(undefined)
    expect(l1.get('k3', now)).to.not.equal(undefined)
  })
})

describe('L1Tier before its bus subscribed', () => {
  it('holds nothing until the subscription is first up (notices could not be heard)', () => {
    const { l1, subscribed } = unsubscribedTier(3 * SLOT)
    l1.set('k0', 'n', meta, payload, now)
    expect(l1.get('k0', now)).to.equal(undefined)
    subscribed()
    l1.set('k0', 'n', meta, payload, now)
    expect(l1.get('k0', now)).to.not.equal(undefined)
  })
})
