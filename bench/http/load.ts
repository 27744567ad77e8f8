import { connect, type Socket } from 'node:net'
import type { BurstJob, FromLoad, LoadJob, ToLoad } from './proto.js'
import { percentile } from '../support/measure.js'

/**
 * The HTTP benchmark's load generator, in a process of its own so that it never shares an event
 * loop with a server under test (started by http.bench.ts with an IPC channel). It speaks just
 * enough HTTP/1.1 over raw keep-alive sockets (fixed request bytes, responses framed by
 * Content-Length) to stay much cheaper per request than node's http client, and so less of a
 * bottleneck on a small machine. Jobs: closed-loop load for a duration, or a burst of requests
 * sent at once on warmed connections.
 */

interface Reply {
  readonly status: number
  /** The watched header's value, or undefined. */
  readonly header: string | undefined
}

const HEAD_END = Buffer.from('\r\n\r\n')

/** One keep-alive connection with at most one request in flight. */
class Connection {
  readonly #socket: Socket
  readonly #header: string
  #pending: Buffer | undefined
  #bodyLeft = -1 // -1 while reading a head
  #reply: Reply = { status: 0, header: undefined }
  #waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | undefined

  private constructor(socket: Socket, header: string) {
    this.#socket = socket
    this.#header = `\r\n${header}:`
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#data(chunk))
    socket.on('error', (error) => this.#fail(error))
    socket.on('close', () => this.#fail(new Error('connection closed')))
  }

  static open(port: number, header: string): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port })
      socket.once('error', reject)
      socket.once('connect', () => {
        socket.off('error', reject)
        resolve(new Connection(socket, header))
      })
    })
  }

  send(request: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject }
      this.#socket.write(request)
    })
  }

  close(): void {
    this.#socket.removeAllListeners('close')
    this.#socket.destroy()
  }

  #fail(error: Error): void {
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.reject(error)
  }

  #data(chunk: Buffer): void {
    let buffer = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk])
    this.#pending = undefined
    while (buffer.length > 0) {
      if (this.#bodyLeft < 0) {
        const end = buffer.indexOf(HEAD_END)
        if (end < 0) {
          this.#pending = buffer
          return
        }
        this.#head(buffer.toString('latin1', 0, end))
        buffer = buffer.subarray(end + 4)
      }
      const taken = Math.min(this.#bodyLeft, buffer.length)
      this.#bodyLeft -= taken
      buffer = buffer.subarray(taken)
      if (this.#bodyLeft > 0) return
      this.#bodyLeft = -1
      const waiting = this.#waiting
      this.#waiting = undefined
      waiting?.resolve(this.#reply)
    }
  }

  #head(head: string): void {
    const lower = head.toLowerCase()
    const length = valueOf(head, lower, '\r\ncontent-length:')
    if (length === undefined) {
      this.#fail(new Error('response without Content-Length (chunked is not supported)'))
      this.#socket.destroy()
      return
    }
    this.#bodyLeft = Number(length)
    const header = valueOf(head, lower, this.#header)
    this.#reply = { status: Number(head.slice(9, 12)), header }
  }
}

/** The value of the header line starting with `marker` ('\r\nname:'), or undefined. */
function valueOf(head: string, lower: string, marker: string): string | undefined {
  const at = lower.indexOf(marker)
  if (at < 0) return undefined
  const end = lower.indexOf('\r\n', at + 2)
  return head.slice(at + marker.length, end < 0 ? head.length : end).trim()
}

function request(port: number, path: string): Buffer {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: */*\r\n\r\n`)
}

class Tallies {
  readonly statuses: Record<string, number> = {}
  readonly header: Record<string, number> = {}
  readonly errors: string[] = []

  add(reply: Reply): void {
    this.statuses[reply.status] = (this.statuses[reply.status] ?? 0) + 1
    const value = reply.header ?? '(none)'
    this.header[value] = (this.header[value] ?? 0) + 1
  }

  error(error: unknown): void {
    if (this.errors.length < 5) this.errors.push(String(error))
  }
}

const openAll = (port: number, n: number, header: string): Promise<Connection[]> =>
  Promise.all(Array.from({ length: n }, () => Connection.open(port, header)))

async function load(job: LoadJob): Promise<FromLoad> {
  const connections = await openAll(job.port, job.connections, job.header)
  const bytes = request(job.port, job.path)
  const tallies = new Tallies()
  const latencies: number[] = []
  const cpu = process.cpuUsage()
  const started = performance.now()
  const deadline = started + job.durationMs
  await Promise.all(
    connections.map(async (connection) => {
      while (performance.now() < deadline) {
        const sent = performance.now()
        try {
          tallies.add(await connection.send(bytes))
          latencies.push(performance.now() - sent)
        } catch (error) {
          tallies.error(error)
          return
        }
      }
    }),
  )
  const elapsedMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  for (const connection of connections) connection.close()
  latencies.sort((a, b) => a - b)
  return {
    type: 'loaded',
    requests: latencies.length,
    seconds: elapsedMs / 1000,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpuShare: (used.user + used.system) / 1000 / elapsedMs,
    ...tallies,
  }
}

async function burst(job: BurstJob): Promise<FromLoad> {
  const connections = await openAll(job.port, job.count, job.header)
  const warm = request(job.port, job.warmPath)
  await Promise.all(connections.map((connection) => connection.send(warm)))
  const bytes = request(job.port, job.path)
  const tallies = new Tallies()
  const latencies: number[] = []
  const at = performance.now()
  await Promise.all(
    connections.map((connection) =>
      connection.send(bytes).then(
        (reply) => {
          latencies.push(performance.now() - at)
          tallies.add(reply)
        },
        (error: unknown) => tallies.error(error),
      ),
    ),
  )
  for (const connection of connections) connection.close()
  return { type: 'burst', latencies, ...tallies }
}

const send = (message: FromLoad): void => {
  process.send?.(message)
}

process.on('message', (message: ToLoad) => {
  if (message.type === 'exit') {
    process.disconnect()
    return
  }
  const job = message.type === 'load' ? load(message) : burst(message)
  job.then(send, (error: unknown) => {
    // The parent sees the exit and reports it.
    console.error('bench: load generator failed:', error)
    process.exit(1)
  })
})
send({ type: 'ready' })
