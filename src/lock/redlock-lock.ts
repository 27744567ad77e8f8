import Redlock, {
  ExecutionError,
  ResourceLockedError,
  type Lock,
  type RedlockClient,
} from 'redlock'
import { createClient } from 'redis'
import { LockError } from '../errors.js'
import { withDeadline } from '../store/deadline.js'
import {
  failFastClientOptions,
  type RedisClient,
  type RedisConnectionInput,
} from '../store/redis-connection.js'
import type { DistributedLock, LockHandle, LockHealth } from './lock.js'

/** Settings of the Redlock-backed lock. */
export interface RedlockLockOptions {
  /** Deadline of each command on each node, in ms. */
  readonly commandTimeoutMs: number
  /** Receives connection errors of the lock clients. */
  readonly onError: (error: Error) => void
}

/** The node-redis methods the adapter needs (clients, clusters and pools all have them). */
interface EvalClient {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

interface LockNode {
  readonly client: EvalClient
  /**
   * Run a command once the node's first connection is up (bounded by the caller's deadline):
   * lock clients have no offline queue, so commands sent while connecting would be refused.
   */
  readonly whenConnected: <T>(work: () => Promise<T>) => Promise<T>
  readonly close: () => Promise<void>
}

const PTTL = "return redis.call('PTTL', KEYS[1])"

/**
 * A Redlock lock over one or more independent Redis masters (redlock 5.0.0-beta.2, through a
 * small node-redis adapter). One acquisition attempt, never a retry loop: waiting is done by
 * listening for the holder's result, not by hammering the lock. Every node command has a
 * deadline, so dead or hung nodes turn into a fast LockError rather than a stuck request.
 */
export class RedlockLock implements DistributedLock {
  readonly #nodes: readonly LockNode[]
  readonly #redlock: Redlock
  readonly #timeoutMs: number
  readonly #quorum: number

  constructor(inputs: readonly RedisConnectionInput[], options: RedlockLockOptions) {
    this.#timeoutMs = options.commandTimeoutMs
    this.#nodes = inputs.map((input) => openNode(input, options.onError))
    this.#quorum = Math.floor(this.#nodes.length / 2) + 1
    const clients = this.#nodes.map((node) => adapter(node, this.#timeoutMs))
    this.#redlock = new Redlock(clients, { retryCount: 0, retryDelay: 0, retryJitter: 0 })
  }

  async tryAcquire(resource: string, ttlMs: number): Promise<LockHandle | undefined> {
    let lock: Lock
    try {
      lock = await this.#redlock.acquire([resource], ttlMs, { retryCount: 0 })
    } catch (error) {
      if (await this.#isContention(error)) return undefined
      throw new LockError((error as Error).message, { cause: error })
    }
    return this.#handle(lock)
  }

  async remaining(resource: string): Promise<number> {
    const replies = await Promise.allSettled(
      this.#nodes.map((node) =>
        this.#deadline(
          node.whenConnected(() => node.client.eval(PTTL, { keys: [resource], arguments: [] })),
        ),
      ),
    )
    const answered = replies.flatMap((r) => (r.status === 'fulfilled' ? [Number(r.value)] : []))
    if (answered.length < this.#quorum) {
      throw new LockError(`only ${answered.length} of ${this.#nodes.length} lock nodes answered`)
    }
    const held = answered.filter((ms) => ms > 0).sort((a, b) => b - a)
    return held.length >= this.#quorum ? held[this.#quorum - 1]! : 0
  }

  async health(): Promise<LockHealth> {
    const nodes = await Promise.all(
      this.#nodes.map(async (node) => {
        const started = performance.now()
        try {
          await this.#deadline(
            node.whenConnected(() => node.client.eval('return 1', { keys: [], arguments: [] })),
          )
          return { up: true, latencyMs: performance.now() - started }
        } catch (error) {
          return { up: false, error: (error as Error).message || (error as Error).name }
        }
      }),
    )
    return { nodes, quorum: nodes.filter((n) => n.up).length >= this.#quorum }
  }

  async close(): Promise<void> {
    await Promise.all(this.#nodes.map((node) => node.close()))
  }

  #handle(initial: Lock): LockHandle {
    let lock = initial
    let released = false
    return {
      extend: async (ttlMs) => {
        try {
          lock = await this.#redlock.extend(lock, ttlMs, { retryCount: 0 })
          return true
        } catch {
          return false
        }
      },
      release: async () => {
        if (released) return
        released = true
        await this.#redlock.release(lock, { retryCount: 0 }).catch(() => undefined)
      },
    }
  }

  /**
   * Held by someone else, or nodes failing? Redlock reports both as ExecutionError; the votes
   * tell them apart: when so many nodes failed that no quorum could ever be formed, it is a
   * failure (fail open); otherwise the resource is held.
   */
  async #isContention(error: unknown): Promise<boolean> {
    if (!(error instanceof ExecutionError)) return false
    const attempts = await Promise.all(error.attempts)
    const last = attempts[attempts.length - 1]
    if (last === undefined) return false
    const failures = [...last.votesAgainst.values()].filter(
      (e) => !(e instanceof ResourceLockedError),
    )
    return failures.length <= this.#nodes.length - this.#quorum
  }

  #deadline<T>(work: Promise<T>): Promise<T> {
    return withDeadline('lock', this.#timeoutMs, work, (e) =>
      e instanceof Error ? e : new Error(String(e)),
    )
  }
}

function openNode(input: RedisConnectionInput, onError: (error: Error) => void): LockNode {
  if (typeof input !== 'string') {
    return {
      client: input,
      whenConnected: (work) => work(),
      close: () => Promise.resolve(),
    }
  }
  const client = createClient(failFastClientOptions(input)) as RedisClient
  client.on('error', onError)
  let connected = false
  const firstReady = new Promise<void>((resolve) => client.once('ready', () => resolve()))
  void firstReady.then(() => (connected = true))
  client.connect().catch(onError)
  return {
    client,
    whenConnected: (work) => (connected ? work() : firstReady.then(work)),
    close: async () => {
      client.off('error', onError)
      client.on('error', () => undefined)
      client.on('ready', () => client.destroy())
      if (client.isReady) await client.close().catch(() => client.destroy())
      else if (client.isOpen) client.destroy()
    },
  }
}

/**
 * redlock 5 calls evalsha(sha, numKeys, [...keys, ...args]) (and eval after NOSCRIPT) the
 * ioredis way; node-redis wants evalSha(sha, { keys, arguments }) with string arguments.
 */
function adapter(node: LockNode, timeoutMs: number): RedlockClient {
  const split = (n: number, args: (string | number)[]) => ({
    keys: args.slice(0, n).map(String),
    arguments: args.slice(n).map(String),
  })
  const bounded = <T>(work: () => Promise<T>): Promise<T> =>
    withDeadline('lock', timeoutMs, node.whenConnected(work), (e) =>
      e instanceof Error ? e : new Error(String(e)),
    )
  return {
    evalsha: (sha, n, args) => bounded(() => node.client.evalSha(sha, split(n, args))),
    eval: (script, n, args) => bounded(() => node.client.eval(script, split(n, args))),
    quit: () => Promise.resolve(),
  }
}
