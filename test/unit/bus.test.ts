import { expect } from 'chai'
import fc from 'fast-check'
import { Bus, decode, type BusMessage } from '../../src/bus/bus.js'
import { CacheEvents } from '../../src/observe/events.js'
import type { Store, Unsubscribe } from '../../src/store/store.js'

/** A channel in memory with the two Store methods the bus uses; `failSubscribes` first fail. */
function fakeStore(failSubscribes = 0) {
  const listeners = new Map<string, Set<(message: string) => void>>()
  let failures = failSubscribes
  let subscribes = 0
  const store = {
    publish: (channel: string, message: string): Promise<void> => {
      for (const listener of listeners.get(channel) ?? []) listener(message)
      return Promise.resolve()
    },
    subscribe: (channel: string, listener: (m: string) => void): Promise<Unsubscribe> => {
      subscribes++
      if (failures > 0) {
        failures--
        return Promise.reject(new Error('subscribe refused'))
      }
      const set = listeners.get(channel) ?? new Set()
      listeners.set(channel, set)
      set.add(listener)
      return Promise.resolve(() => {
        set.delete(listener)
        return Promise.resolve()
      })
    },
  } as unknown as Store
  return { store, listeners, subscribes: () => subscribes }
}

const text = fc.string({ maxLength: 40 })
const message: fc.Arbitrary<BusMessage> = fc.oneof(
  fc.record({
    type: fc.constantFrom('written' as const, 'deleted' as const),
    origin: text,
    key: text,
    fence: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  }),
  fc.record({
    type: fc.constant('failed' as const),
    origin: text,
    key: text,
    error: fc.oneof(
      fc.record({ name: text, message: text }),
      fc.record({ name: text, message: text, code: text }),
    ),
  }),
  fc.record({ type: fc.constant('pass' as const), origin: text, key: text }),
  fc.record({ type: fc.constant('cleared' as const), origin: text, namespace: text }),
  fc.record({ type: fc.constant('untagged' as const), origin: text, tags: fc.array(text) }),
)

describe('Bus', () => {
  const events = new CacheEvents()

  it('decodes exactly what it encodes, for every message', () => {
    const bus = new Bus(fakeStore().store, 'ch', 'me', events)
    fc.assert(
      fc.property(message, (m) => {
        expect(decode(bus.encode(m))).to.deep.equal(m)
      }),
    )
  })

  it('builds the same notice from a frame and a fence (the scripts) as from encode', () => {
    fc.assert(
      fc.property(
        text,
        text,
        fc.constantFrom('written' as const, 'deleted' as const),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        (origin, key, type, fence) => {
          const bus = new Bus(fakeStore().store, 'ch', origin, events)
          const frame = bus.frame(type, key)
          expect(decode(`${frame.head}${fence}${frame.tail}`)).to.deep.equal({
            type,
            origin,
            key,
            fence,
          })
        },
      ),
    )
  })

  it('ignores anything malformed or foreign on the channel', () => {
    for (const raw of [
      'not json',
      '42',
      '{"t":"w","o":"a","k":"k"}', // written without a fence
      '{"t":"w","o":1,"k":"k","f":1}', // origin not a string
      '{"t":"z","o":"a","k":"k"}', // unknown type
      '{"t":"c","o":"a"}', // cleared without a namespace
      '{"t":"g","o":"a"}', // untagged without tags
      '{"t":"g","o":"a","g":["t",1]}', // a tag that is not a string
      '{"t":"x","o":"a","k":"k","e":"boom"}', // failure without an error object
      '{"t":"x","o":"a","k":"k","e":{"name":"E"}}', // error without a message
      '{"t":"p","o":"a"}', // pass without a key
    ]) {
      expect(decode(raw), raw).to.equal(undefined)
    }
  })

  it("delivers other instances' messages to its listeners, never its own", async () => {
    const { store } = fakeStore()
    const mine = new Bus(store, 'ch', 'me', events)
    const theirs = new Bus(store, 'ch', 'them', events)
    const received: BusMessage[] = []
    mine.listen((m) => received.push(m))
    mine.start()
    await mine.ready
    await mine.publish({ type: 'pass', origin: 'me', key: 'k' })
    await theirs.publish({ type: 'pass', origin: 'them', key: 'k' })
    expect(received).to.deep.equal([{ type: 'pass', origin: 'them', key: 'k' }])
    await mine.close()
  })

  it('retries a refused subscription, reporting each failure, until it is active', async () => {
    const fake = fakeStore(2)
    const own = new CacheEvents()
    const errors: string[] = []
    own.on('error', (e) => errors.push(`${e.source}/${e.operation}`))
    const bus = new Bus(fake.store, 'ch', 'me', own)
    bus.start()
    await bus.ready
    expect(bus.subscribed).to.equal(true)
    expect(fake.subscribes()).to.equal(3)
    expect(errors).to.deep.equal(['bus/subscribe', 'bus/subscribe'])
    await bus.close()
  })

  it('unsubscribes on close and stops retrying a closed bus', async () => {
    const fake = fakeStore()
    const bus = new Bus(fake.store, 'ch', 'me', events)
    bus.start()
    await bus.ready
    expect(fake.listeners.get('ch')?.size).to.equal(1)
    await bus.close()
    expect(fake.listeners.get('ch')?.size).to.equal(0)
    const failing = fakeStore(1)
    const closed = new Bus(failing.store, 'ch', 'me', events)
    await closed.close()
    closed.start()
    expect(failing.subscribes()).to.equal(0)
  })

  it('reports a failed publish as an event instead of throwing', async () => {
    const store = {
      publish: () => Promise.reject(new Error('down')),
    } as unknown as Store
    const own = new CacheEvents()
    const errors: string[] = []
    own.on('error', (e) => errors.push(`${e.source}/${e.operation}`))
    await new Bus(store, 'ch', 'me', own).publish({ type: 'pass', origin: 'me', key: 'k' })
    expect(errors).to.deep.equal(['bus/publish'])
  })
})
