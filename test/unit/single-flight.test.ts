import { expect } from 'chai'
import { SingleFlight } from '../../src/fn/single-flight.js'

/** A promise with its settle functions outside, so each test drives the order itself. */
function deferred<T>(): {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (error: unknown) => void
} {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('SingleFlight', () => {
  it('runs the work once for concurrent callers of one key and counts the joiners', async () => {
    const flights = new SingleFlight()
    const gate = deferred<string>()
    let runs = 0
    const work = (): Promise<string> => {
      runs++
      return gate.promise
    }
    const first = flights.run('ns', 'k', work)
    const second = flights.run('ns', 'k', work)
    const third = flights.run('ns', 'k', work)
    expect(first.joined).to.equal(false)
    expect(second.joined).to.equal(true)
    expect(third.flight).to.equal(first.flight)
    expect(first.flight.joined).to.equal(2)
    gate.resolve('v')
    expect(await Promise.all([first, second, third].map((r) => r.flight.promise))).to.deep.equal([
      'v',
      'v',
      'v',
    ])
    expect(runs).to.equal(1)
  })

  it('keeps keys apart within a group and groups apart for one key', () => {
    const flights = new SingleFlight()
    const never = (): Promise<never> => new Promise<never>(() => undefined)
    const a = flights.run('ns1', 'k', never)
    const b = flights.run('ns2', 'k', never)
    const c = flights.run('ns1', 'other', never)
    expect(a.joined || b.joined || c.joined).to.equal(false)
    expect(flights.get('ns1', 'k')).to.equal(a.flight)
    expect(flights.get('ns2', 'k')).to.equal(b.flight)
    expect(flights.get('ns1', 'missing')).to.equal(undefined)
  })

  it('forgets a settled flight, so the next call starts new work', async () => {
    const flights = new SingleFlight()
    let runs = 0
    const work = (): Promise<number> => Promise.resolve(++runs)
    expect(await flights.run('ns', 'k', work).flight.promise).to.equal(1)
    expect(flights.get('ns', 'k')).to.equal(undefined)
    const again = flights.run('ns', 'k', work)
    expect(again.joined).to.equal(false)
    expect(await again.flight.promise).to.equal(2)
  })

  it('gives every caller the same error and forgets the failed flight', async () => {
    const flights = new SingleFlight()
    const gate = deferred<string>()
    const failure = new Error('boom')
    const first = flights.run('ns', 'k', () => gate.promise)
    const second = flights.run('ns', 'k', () => gate.promise)
    gate.reject(failure)
    const errors = await Promise.all(
      [first, second].map((r) =>
        r.flight.promise.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    )
    expect(errors).to.deep.equal([failure, failure])
    expect(flights.get('ns', 'k')).to.equal(undefined)
  })

  it('turns work that throws synchronously into a rejected flight', async () => {
    const flights = new SingleFlight()
    const { flight } = flights.run('ns', 'k', () => {
      throw new TypeError('sync')
    })
    const error = await flight.promise.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(TypeError)
    expect(flights.get('ns', 'k')).to.equal(undefined)
  })

  it('calls onSettled once, with the value, before any joiner resumes', async () => {
    const flights = new SingleFlight()
    const gate = deferred<string>()
    const order: string[] = []
    const { flight } = flights.run(
      'ns',
      'k',
      () => gate.promise,
      (settled, value) => {
        order.push(`settled:${String(value)}:${settled === flight ? 'same' : 'other'}`)
      },
    )
    const joiner = flights
      .run('ns', 'k', () => gate.promise)
      .flight.promise.then((v) => {
        order.push(`joiner:${v}`)
      })
    gate.resolve('v')
    await joiner
    expect(order).to.deep.equal(['settled:v:same', 'joiner:v'])
  })

  it('calls onSettled with undefined after a failure', async () => {
    const flights = new SingleFlight()
    const seen: unknown[] = []
    const { flight } = flights.run(
      'ns',
      'k',
      () => Promise.reject(new Error('x')),
      (_flight, value) => seen.push(value),
    )
    await flight.promise.catch(() => undefined)
    expect(seen).to.deep.equal([undefined])
  })

  it('detaches a flight by key, group or all: it runs on, later calls start new work', async () => {
    const flights = new SingleFlight()
    const gates = [deferred<string>(), deferred<string>(), deferred<string>(), deferred<string>()]
    const old = flights.run('ns', 'k', () => gates[0]!.promise)
    const other = flights.run('ns2', 'k', () => gates[1]!.promise)
    flights.detach('ns', 'k')
    expect(flights.get('ns', 'k')).to.equal(undefined)
    expect(flights.get('ns2', 'k')).to.equal(other.flight)
    const fresh = flights.run('ns', 'k', () => gates[3]!.promise)
    expect(fresh.joined).to.equal(false)
    // The detached flight settling later does not forget the new one.
    gates[0]!.resolve('old')
    expect(await old.flight.promise).to.equal('old')
    expect(flights.get('ns', 'k')).to.equal(fresh.flight)
    const late = flights.run('ns', 'k2', () => gates[2]!.promise)
    flights.detach('ns')
    expect(flights.get('ns', 'k2')).to.equal(undefined)
    flights.detach()
    expect(flights.get('ns2', 'k')).to.equal(undefined)
    gates[1]!.resolve('b')
    gates[2]!.resolve('c')
    gates[3]!.resolve('new')
    expect(await fresh.flight.promise).to.equal('new')
    expect(await late.flight.promise).to.equal('c')
  })
})
