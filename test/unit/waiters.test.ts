import { expect } from 'chai'
import type { Bus, BusMessage } from '../../src/bus/bus.js'
import { WaiterRegistry } from '../../src/fn/waiters.js'

/** The registry only calls `listen`: a stand-in bus that lets the test deliver notices. */
function fakeBus(): { bus: Bus; deliver: (message: BusMessage) => void } {
  let listener: ((message: BusMessage) => void) | undefined
  const bus = {
    listen: (l: (message: BusMessage) => void) => {
      listener = l
    },
  } as unknown as Bus
  return { bus, deliver: (message) => listener?.(message) }
}

const written = (key: string, fence = 1): BusMessage => ({
  type: 'written',
  origin: 'other',
  key,
  fence,
})

const HOUR = 3_600_000

describe('WaiterRegistry', () => {
  it('wakes a waiting computation with the notice for its key', async () => {
    const { bus, deliver } = fakeBus()
    const registry = new WaiterRegistry(bus)
    const waiter = registry.register('k')
    const wake = waiter.next(HOUR)
    deliver(written('k', 7))
    expect(await wake).to.deep.equal({ by: 'message', message: written('k', 7) })
    waiter.close()
  })

  it('keeps a notice that arrives between two waits, so it is never lost', async () => {
    const { bus, deliver } = fakeBus()
    const registry = new WaiterRegistry(bus)
    const waiter = registry.register('k')
    deliver({ type: 'pass', origin: 'other', key: 'k' })
    expect(await waiter.next(HOUR)).to.deep.equal({
      by: 'message',
      message: { type: 'pass', origin: 'other', key: 'k' },
    })
    waiter.close()
  })

  it('ignores notices for other keys and namespace-wide "cleared" notices', async () => {
    const { bus, deliver } = fakeBus()
    const registry = new WaiterRegistry(bus)
    const waiter = registry.register('k')
    deliver(written('other'))
    deliver({ type: 'cleared', origin: 'other', namespace: 'ns' })
    expect(await waiter.next(1)).to.deep.equal({ by: 'poll' })
    waiter.close()
  })

  it('wakes every waiter of a key (several computations in one process)', async () => {
    const { bus, deliver } = fakeBus()
    const registry = new WaiterRegistry(bus)
    const a = registry.register('k')
    const b = registry.register('k')
    const wakes = Promise.all([a.next(HOUR), b.next(HOUR)])
    deliver(written('k'))
    const [wa, wb] = await wakes
    expect(wa.by).to.equal('message')
    expect(wb.by).to.equal('message')
    a.close()
    b.close()
  })

  it('answers poll after the delay when no notice comes', async () => {
    const { bus } = fakeBus()
    const registry = new WaiterRegistry(bus)
    const waiter = registry.register('k')
    expect(await waiter.next(1)).to.deep.equal({ by: 'poll' })
    waiter.close()
  })

  it('answers aborted when the signal aborts during a wait, or had aborted before', async () => {
    const { bus } = fakeBus()
    const registry = new WaiterRegistry(bus)
    const controller = new AbortController()
    const waiter = registry.register('k', controller.signal)
    const wake = waiter.next(HOUR)
    controller.abort()
    expect(await wake).to.deep.equal({ by: 'aborted' })
    expect(await waiter.next(HOUR)).to.deep.equal({ by: 'aborted' })
    waiter.close()
  })

  it('forgets a key once its last waiter closes; a closed waiter gets no more notices', async () => {
    const { bus, deliver } = fakeBus()
    const registry = new WaiterRegistry(bus)
    const a = registry.register('k')
    const b = registry.register('k')
    expect(registry.size).to.equal(1)
    a.close()
    expect(registry.size).to.equal(1)
    deliver(written('k'))
    b.close()
    expect(registry.size).to.equal(0)
    // a was closed before the notice: nothing was kept for it.
    expect(await a.next(1)).to.deep.equal({ by: 'poll' })
  })

  it('keeps only the latest notice that arrived while not waiting', async () => {
    const { bus, deliver } = fakeBus()
    const registry = new WaiterRegistry(bus)
    const waiter = registry.register('k')
    deliver(written('k', 1))
    deliver(written('k', 2))
    expect(await waiter.next(HOUR)).to.deep.equal({ by: 'message', message: written('k', 2) })
    expect(await waiter.next(1)).to.deep.equal({ by: 'poll' })
    waiter.close()
  })
})
