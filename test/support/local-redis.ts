import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort, startRedisServer } from '../../tools/redis-server.js'
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

export { freePort }

const READY_TIMEOUT_MS = 10_000

export class LocalRedis implements RedisNode {
  readonly port: number
  readonly url: string
  readonly #args: (port: number) => readonly string[]
  #child: ChildProcess | undefined
  #paused = false

  private constructor(port: number, args: (port: number) => readonly string[]) {
    this.port = port
    this.url = `redis://127.0.0.1:${port}`
    this.#args = args
  }

  /**
   * Start a server on a free port (retrying on a port race), with more `redis-server` arguments
   * computed from its port (kept for restarts).
   */
  static async start(args: (port: number) => readonly string[] = () => []): Promise<LocalRedis> {
    let lastError: unknown
    for (let attempt = 0; attempt < 3; attempt++) {
      const node = new LocalRedis(await freePort(), args)
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

  /** Whether the server is stopped by SIGSTOP (running, but answering nothing). */
  get paused(): boolean {
    return this.#paused
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
    let spawned: number | undefined
    try {
      const server = await startRedisServer({
        port: this.port,
        args: this.#args(this.port),
        timeoutMs: READY_TIMEOUT_MS,
        onSpawn: (child) => {
          spawned = child.pid
          if (spawned !== undefined) pids.add(spawned)
        },
      })
      this.#child = server.child
    } catch (error) {
      // startRedisServer already killed what it spawned.
      if (spawned !== undefined) pids.delete(spawned)
      throw error
    }
  }
}
