import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import type { RedisNode } from './redis-node.js'

/**
 * A redis-server child process on a free loopback port, for tests. It can be stopped,
 * restarted on the same port, paused (SIGSTOP) and resumed. Every PID is tracked so that a
 * crashing or interrupted test run still kills what it started (see track/killAll).
 */

const pids = new Set<number>()

/** Kill every redis-server this process started (SIGKILL also ends stopped processes). */
export function killAllLocal(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  pids.clear()
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Whether something answers PING with PONG on the port. */
export function pingPort(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    let buffer = ''
    const finish = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1_000, () => finish(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (data) => {
      buffer += data.toString()
      if (buffer.includes('\r\n')) finish(buffer.startsWith('+PONG'))
    })
    socket.on('error', () => finish(false))
  })
}

const READY_TIMEOUT_MS = 10_000

export class LocalRedis implements RedisNode {
  readonly port: number
  readonly url: string
  #child: ChildProcess | undefined
  #paused = false

  private constructor(port: number) {
    this.port = port
    this.url = `redis://127.0.0.1:${port}`
  }

  /** Start a server on a free port (retrying on a port race). */
  static async start(): Promise<LocalRedis> {
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      const node = new LocalRedis(await freePort())
      try {
        await node.#spawn()
        return node
      } catch (error) {
        lastError = error
      }
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError))
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  get running(): boolean {
    return this.#child !== undefined
  }

  async stop(): Promise<void> {
    const child = this.#child
    if (child === undefined) return
    this.#child = undefined
    if (this.#paused) process.kill(child.pid!, 'SIGCONT')
    this.#paused = false
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
    pids.delete(child.pid!)
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.#spawn()
  }

  pause(): Promise<void> {
    if (this.#child === undefined) return Promise.reject(new Error('server is not running'))
    process.kill(this.#child.pid!, 'SIGSTOP')
    this.#paused = true
    return Promise.resolve()
  }

  /** Resume a paused server; a no-op when it is not paused. */
  resume(): Promise<void> {
    if (this.#child !== undefined && this.#paused) process.kill(this.#child.pid!, 'SIGCONT')
    this.#paused = false
    return Promise.resolve()
  }

  async #spawn(): Promise<void> {
    const bin = process.env['REDIS_SERVER_BIN'] ?? 'redis-server'
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot run ${bin}: ${error.message}`)))
      child.once('exit', (code) => reject(new Error(`${bin} exited (${code}): ${output.trim()}`)))
    })
    failed.catch(() => undefined)
    if (child.pid !== undefined) pids.add(child.pid)
    this.#child = child
    try {
      await Promise.race([this.#waitReady(), failed])
    } catch (error) {
      this.#child = undefined
      if (child.pid !== undefined) pids.delete(child.pid)
      child.kill('SIGKILL')
      throw error
    }
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (Date.now() < deadline) {
      if (await pingPort(this.port)) return
      // Polling a freshly spawned server's port is the only readiness signal it gives.
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    throw new Error(`redis-server on port ${this.port} did not answer PING in time`)
  }
}
