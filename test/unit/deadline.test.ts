import { expect } from 'chai'
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import { StoreError, StoreTimeoutError } from '../../src/errors.js'
import { DeadlineQueue } from '../../src/store/deadline.js'

/** A promise settled from outside. */
function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void
  let reject!: (e: Error) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const mapError = (operation: string, error: unknown): Error =>
  new StoreError(operation, 'mapped', { cause: error as Error })

describe('DeadlineQueue (one timer for calls sharing a timeout)', () => {
  let queue: DeadlineQueue

  beforeEach(() => {
    queue = new DeadlineQueue(30, mapError)
  })
  afterEach(() => queue.close())

  it('passes results through and maps failures', async () => {
    expect(await queue.race('get', Promise.resolve(7))).to.equal(7)
    const failed = await queue
      .race('set', Promise.reject(new Error('boom')))
      .catch((e: unknown) => e)
    expect(failed).to.be.instanceOf(StoreError)
    expect((failed as StoreError).message).to.contain('mapped')
    expect((failed as StoreError).cause).to.have.property('message', 'boom')
  })

  it('rejects a call that outlives the timeout with StoreTimeoutError naming the operation', async () => {
    const started = performance.now()
    const error = await queue.race('get', deferred<number>().promise).catch((e: unknown) => e)
    expect(error).to.be.instanceOf(StoreTimeoutError)
    expect((error as Error).message).to.contain('get')
    expect(performance.now() - started).to.be.at.least(29)
  })

  it('times out each pending call at its own deadline, whatever finished around it', async () => {
    const slow = deferred<number>()
    const fast = deferred<number>()
    const first = queue.race('first', slow.promise).catch((e: unknown) => e)
    const second = queue.race('second', fast.promise)
    // A later call finishing first must not disturb the deadline of the earlier one.
    fast.resolve(2)
    expect(await second).to.equal(2)
    const third = queue.race('third', deferred<number>().promise).catch((e: unknown) => e)
    expect(await first).to.be.instanceOf(StoreTimeoutError)
    const late = await third
    expect(late).to.be.instanceOf(StoreTimeoutError)
    expect((late as Error).message).to.contain('third')
    // The result arriving after the deadline is dropped.
    slow.resolve(1)
  })

  it('keeps working across many calls that finish out of order', async () => {
    const calls = Array.from({ length: 3000 }, () => deferred<number>())
    const raced = calls.map((call, i) => queue.race(`op${i}`, call.promise))
    for (let i = calls.length - 1; i >= 0; i--) calls[i]!.resolve(i)
    const results = await Promise.all(raced)
    expect(results[0]).to.equal(0)
    expect(results[2999]).to.equal(2999)
    // And the queue still times out a new call afterwards.
    const error = await queue.race('after', deferred<number>().promise).catch((e: unknown) => e)
    expect(error).to.be.instanceOf(StoreTimeoutError)
  })

  it('lets a result whose I/O is already waiting win over a deadline due in the same turn', async () => {
    // A local socket pair: bytes written on one end are readable on the other at once.
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as { port: number }
    const accepted = once(server, 'connection') as Promise<[Socket]>
    const client = connect(port, '127.0.0.1')
    await once(client, 'connect')
    const [peer] = await accepted
    try {
      const reply = once(client, 'data').then(([data]) => String(data))
      const raced = queue.race('get', reply)
      peer.write('v')
      // This process stalls past the deadline while the reply sits in the socket.
      const until = performance.now() + 100
      while (performance.now() < until) {
        // busy: the event loop must not run
      }
      expect(await raced).to.equal('v')
    } finally {
      client.destroy()
      peer.destroy()
      server.close()
    }
  })
})
