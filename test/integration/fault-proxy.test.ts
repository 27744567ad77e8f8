import { expect } from 'chai'
import fc from 'fast-check'
import { connect, type Socket } from 'node:net'
import { createClient } from 'redis'
import { commandWith, FaultProxy } from '../support/fault-proxy.js'
import { commandEnd, frameEnd, readCommand } from '../support/resp.js'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'
import { deferred } from '../support/wait.js'

/** A client with no reconnects and no offline queue: a fault shows up as a failed command. */
function client(url: string) {
  const c = createClient({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: false },
  })
  c.on('error', () => undefined)
  return c
}

/** Settled or not, without waiting: lets a test assert that a reply has not arrived yet. */
function track<T>(promise: Promise<T>): { done: () => boolean; promise: Promise<T> } {
  let settled = false
  const tracked = promise.finally(() => (settled = true))
  tracked.catch(() => undefined)
  return { done: () => settled, promise: tracked }
}

/** A round trip on another connection: by then, anything already in flight was processed. */
async function roundTrip(c: Client): Promise<void> {
  await c.ping()
}

type Client = ReturnType<typeof client>

describe('FaultProxy (test support)', function () {
  this.timeout(10_000)
  let proxy: FaultProxy
  let direct: Client
  let through: Client
  let prefix: string

  beforeEach(async () => {
    proxy = await FaultProxy.start(sharedRedisUrl())
    direct = client(sharedRedisUrl())
    through = client(proxy.url)
    await Promise.all([direct.connect(), through.connect()])
    prefix = uniquePrefix('proxy')
  })
  afterEach(async () => {
    through.destroy()
    direct.destroy()
    await proxy.close()
  })

  it('passes commands and replies through unchanged, binary values included', async () => {
    const bytes = Buffer.from([0, 13, 10, 255, 36, 42, 13, 10])
    await through.set(`${prefix}:b`, bytes)
    const back: unknown = await through.withTypeMapping({ 36: Buffer }).get(`${prefix}:b`)
    expect(Buffer.isBuffer(back) && Buffer.compare(back, bytes)).to.equal(0)
    expect(proxy.seen('SET')).to.equal(1)
    expect(proxy.connections).to.have.length(1)
  })

  it('holdReply: the command runs, its reply (and later ones) waits until released', async () => {
    const hold = proxy.holdReply(commandWith('SET', `${prefix}:k`))
    const set = track(through.set(`${prefix}:k`, 'v'))
    const later = track(through.get(`${prefix}:other`))
    const { command, connection } = await hold.reached
    expect(command.name).to.equal('SET')
    expect(hold.held).to.equal(true)
    // Redis already ran it: another client reads the value.
    expect(await direct.get(`${prefix}:k`)).to.equal('v')
    await roundTrip(direct)
    expect(set.done()).to.equal(false)
    expect(later.done()).to.equal(false)
    hold.release()
    expect(await set.promise).to.equal('OK')
    expect(await later.promise).to.equal(null)
    expect(connection.commands).to.include.members(['SET', 'GET'])
  })

  it('holdCommand: the command does not run until released', async () => {
    const hold = proxy.holdCommand(commandWith('SET', `${prefix}:held`))
    const set = track(through.set(`${prefix}:held`, 'late'))
    await hold.reached
    await roundTrip(direct)
    expect(await direct.get(`${prefix}:held`)).to.equal(null)
    hold.release()
    await set.promise
    expect(await direct.get(`${prefix}:held`)).to.equal('late')
  })

  it('a hold matches only its command: earlier replies are delivered', async () => {
    const hold = proxy.holdReply('INCR')
    const first = await through.get(`${prefix}:none`)
    expect(first).to.equal(null)
    const incr = track(through.incr(`${prefix}:n`))
    await hold.reached
    expect(incr.done()).to.equal(false)
    hold.release()
    expect(await incr.promise).to.equal(1)
  })

  it('release before the hold is reached cancels it', async () => {
    const hold = proxy.holdReply('INCR')
    hold.release()
    expect(await through.incr(`${prefix}:c`)).to.equal(1)
    expect(hold.held).to.equal(false)
  })

  it('pause holds both directions of every connection; resume delivers in order', async () => {
    proxy.pause()
    const first = track(through.incr(`${prefix}:p`))
    const second = track(through.incr(`${prefix}:p`))
    await roundTrip(direct)
    expect(await direct.get(`${prefix}:p`)).to.equal(null)
    expect(first.done() || second.done()).to.equal(false)
    proxy.resume()
    expect([await first.promise, await second.promise]).to.deep.equal([1, 2])
  })

  it('pausing replies only: commands run, replies wait', async () => {
    const connection = proxy.connections[0]!
    connection.pause('down')
    const sent = proxy.nextCommand('INCR')
    const incr = track(through.incr(`${prefix}:d`))
    await sent
    // The command is on its way to Redis: round trips on another connection until it ran.
    while ((await direct.get(`${prefix}:d`)) !== '1') await roundTrip(direct)
    expect(incr.done()).to.equal(false)
    connection.resume('down')
    expect(await incr.promise).to.equal(1)
  })

  it('delay delivers replies no earlier than the delay', async () => {
    proxy.delay(120)
    const started = performance.now()
    await through.ping()
    expect(performance.now() - started).to.be.at.least(110)
    proxy.delay(0)
  })

  it('drop discards bytes: the client never gets its reply; the socket stays open', async () => {
    proxy.drop('down')
    const get = track(through.get(`${prefix}:x`))
    await proxy.nextCommand('GET')
    await roundTrip(direct)
    await roundTrip(direct)
    expect(get.done()).to.equal(false)
    expect(proxy.connections[0]!.closed).to.equal(false)
    expect(proxy.connections[0]!.pipe('down').droppedBytes).to.be.above(0)
    proxy.reset()
    const error = await get.promise.catch((e: unknown) => e)
    expect(error).to.be.instanceOf(Error)
  })

  it('reset aborts connections: the client sees the socket go', async () => {
    const gone = deferred<Error>()
    through.on('error', (error: Error) => gone.resolve(error))
    expect(proxy.reset()).to.equal(1)
    const error = await gone.promise
    expect(error.message).to.match(/ECONNRESET|closed|Socket/i)
    expect(proxy.connections).to.have.length(0)
  })

  it('killSubscribers resets pub/sub connections only', async () => {
    const subscriber = through.duplicate()
    subscriber.on('error', () => undefined)
    await subscriber.connect()
    const ended = deferred()
    subscriber.on('end', () => ended.resolve())
    subscriber.on('error', () => ended.resolve())
    await subscriber.subscribe(`${prefix}:ch`, () => undefined)
    expect(proxy.subscribers).to.have.length(1)
    expect(proxy.killSubscribers()).to.equal(1)
    await ended.promise
    expect(await through.ping()).to.equal('PONG')
    subscriber.destroy()
  })

  it('refuse resets new connections; accept lets them in again', async () => {
    proxy.refuse()
    const refused = client(proxy.url)
    const error = await refused.connect().catch((e: unknown) => e)
    expect(error).to.be.instanceOf(Error)
    refused.destroy()
    proxy.accept()
    const accepted = client(proxy.url)
    await accepted.connect()
    expect(await accepted.ping()).to.equal('PONG')
    accepted.destroy()
  })

  it('close ends every connection and rejects holds never reached', async () => {
    const hold = proxy.holdReply('NEVER')
    const raw: Socket = connect(proxy.port, '127.0.0.1')
    const closed = deferred()
    raw.on('close', () => closed.resolve())
    raw.on('error', () => undefined)
    await new Promise((resolve) => raw.once('connect', resolve))
    await proxy.close()
    await closed.promise
    expect(await hold.reached.catch((e: unknown) => e)).to.be.instanceOf(Error)
  })
})

describe('RESP framing (fault proxy parser)', () => {
  const frames = [
    '+OK\r\n',
    '-ERR no\r\n',
    ':42\r\n',
    '$5\r\nhe\r\nl\r\n',
    '$-1\r\n',
    '*-1\r\n',
    '*2\r\n$1\r\na\r\n:1\r\n',
    '%1\r\n+k\r\n*1\r\n+v\r\n',
    '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n',
    '_\r\n',
    '|1\r\n+a\r\n+b\r\n:5\r\n',
  ]

  it('finds frame ends however the stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...frames), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 7 }),
        (chosen, step) => {
          const stream = Buffer.from(chosen.join(''), 'latin1')
          const found: string[] = []
          let pending = Buffer.alloc(0)
          for (let at = 0; at < stream.length; at += step) {
            pending = Buffer.concat([pending, stream.subarray(at, at + step)])
            for (let end = frameEnd(pending, 0); end !== -1; end = frameEnd(pending, 0)) {
              found.push(pending.subarray(0, end).toString('latin1'))
              pending = pending.subarray(end)
            }
          }
          expect(found).to.deep.equal(chosen)
          expect(pending.length).to.equal(0)
        },
      ),
    )
  })

  it('reads commands, RESP arrays and inline', () => {
    const frame = Buffer.from('*3\r\n$7\r\nevalsha\r\n$3\r\nabc\r\n$1\r\n1\r\n')
    expect(commandEnd(frame, 0)).to.equal(frame.length)
    const command = readCommand(frame)
    expect(command.name).to.equal('EVALSHA')
    expect(command.args.map(String)).to.deep.equal(['abc', '1'])
    expect(readCommand(Buffer.from('ping hello\r\n'))).to.deep.include({ name: 'PING' })
  })
})
