import { expect } from 'chai'
import { ErrorReply } from 'redis'
import { slotRefresher, type RefreshableCluster } from '../../src/store/redis-slot-refresh.js'

/** A master of a fake cluster: answers PING, or never (hung), or refuses (dead). */
type Behaviour = 'answers' | 'hangs' | 'refuses'

/** A fake cluster whose `rediscover` records the node it was asked to start with. */
function fakeCluster(masters: Behaviour[] = ['answers']): RefreshableCluster & {
  readonly asked: (string | undefined)[]
} {
  const asked: (string | undefined)[] = []
  const nodes = masters.map((behaviour, i) => ({ behaviour, port: 7000 + i }))
  return {
    asked,
    masters: nodes,
    nodeClient: (node: (typeof nodes)[number]) =>
      Promise.resolve({
        options: { socket: { port: node.port } },
        sendCommand: () =>
          node.behaviour === 'answers'
            ? Promise.resolve('PONG')
            : node.behaviour === 'refuses'
              ? Promise.reject(new Error('ECONNREFUSED'))
              : new Promise(() => undefined),
      }),
    _slots: {
      rediscover: (startWith?: { options: { socket: { port: number } } }) => {
        asked.push(startWith === undefined ? undefined : String(startWith.options.socket.port))
        return Promise.resolve()
      },
    },
  }
}

/** Let the PINGs and the ask run (they answer at once, or never). */
const settle = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('slotRefresher (a failing cluster asks for a new slot map)', () => {
  it('asks on a connection failure, at most once per interval', async () => {
    const cluster = fakeCluster()
    const failed = slotRefresher(cluster, 60_000)
    failed(new Error('Socket closed unexpectedly'))
    failed(new Error('timeout'))
    await settle()
    expect(cluster.asked).to.have.length(1)
  })

  it('asks again once the interval has passed', async () => {
    const cluster = fakeCluster()
    const failed = slotRefresher(cluster, 5)
    failed(new Error('timeout'))
    await settle()
    failed(new Error('timeout'))
    await settle()
    expect(cluster.asked).to.have.length(2)
  })

  it('does not ask on a Redis error reply (the node answered)', async () => {
    const cluster = fakeCluster()
    slotRefresher(cluster, 0)(new ErrorReply('NOSCRIPT No matching script'))
    await settle()
    expect(cluster.asked).to.have.length(0)
  })

  it('asks a master that answers, never a hung or dead one (a discovery there would hang)', async () => {
    for (let i = 0; i < 5; i++) {
      const cluster = fakeCluster(['hangs', 'refuses', 'answers'])
      slotRefresher(cluster, 10)(new Error('timeout'))
      await settle()
      expect(cluster.asked).to.deep.equal(['7002'])
    }
  })

  it('does not ask when no master answers within the interval (the next failure tries again)', async () => {
    const cluster = fakeCluster(['hangs', 'refuses'])
    slotRefresher(cluster, 10)(new Error('timeout'))
    await settle(40)
    expect(cluster.asked).to.deep.equal([])
  })

  it('does nothing for a cluster without a slot map it can ask, and swallows a failed ask', async () => {
    expect(() => slotRefresher(undefined)(new Error('x'))).not.to.throw()
    const failing = {
      ...fakeCluster(),
      _slots: { rediscover: () => Promise.reject(new Error('no node answered')) },
    }
    slotRefresher(failing, 0)(new Error('x'))
    await settle()
  })
})
