import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { LockError } from '../errors.js'
import type { BreakerSettings } from '../store/breaker.js'
import type { RedisConnectionInput } from '../store/redis-client.js'
import type { DistributedLock, LockHandle, LockHealth } from './lock.js'
import { LockNode, lockScript } from './redlock-node.js'
import { countVotes, type Tally } from './votes.js'

/** Settings of the Redlock lock. */
export interface RedlockLockOptions {
  /** Deadline of each command on each node, in ms. */
  readonly commandTimeoutMs: number
  /** Receives connection errors of the lock clients. */
  readonly onError: (error: Error) => void
  /** Circuit breaker of each node; undefined: none. */
  readonly breaker?: BreakerSettings
}

const ACQUIRE = lockScript(
  "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end return 0",
)
const EXTEND = lockScript(
  "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end return 0",
)
const RELEASE = lockScript(
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
)
const PTTL = lockScript("return redis.call('PTTL', KEYS[1])")

/** Pause between two extension attempts that failed without an answer (errors, timeouts). */
const EXTEND_RETRY_MS = 25
/** Gap between retries of a release no majority answered. */
const RELEASE_RETRY_MS = 250

const isOne = (reply: unknown): boolean => Number(reply) === 1

/**
 * The Redlock algorithm over one or more independent Redis masters (redis.io/docs/manual/
 * patterns/distributed-locks): a random token set with NX PX on every node, a majority needed,
 * validity = ttl - elapsed - clock drift; compare-and-extend, compare-and-delete. Our own small
 * Lua scripts instead of the `redlock` package, because its acquire waits for every node (one
 * hung node makes every caller pay the command timeout) and releases after every failed
 * acquire (a second round trip on the failure path). Here votes are counted as they arrive,
 * partial locks are released in the background, each node has a breaker, and an extension that
 * fails without an answer is retried while the lock is still valid.
 */
export class RedlockLock implements DistributedLock {
  readonly #nodes: readonly LockNode[]
  readonly #retries = new Set<NodeJS.Timeout>()
  #closed = false
  readonly #timeoutMs: number
  readonly #quorum: number

  constructor(inputs: readonly RedisConnectionInput[], options: RedlockLockOptions) {
    this.#timeoutMs = options.commandTimeoutMs
    this.#nodes = inputs.map((input) => new LockNode(input, options.onError, options.breaker))
    this.#quorum = Math.floor(this.#nodes.length / 2) + 1
  }

  async tryAcquire(resource: string, ttlMs: number): Promise<LockHandle | undefined> {
    const token = randomBytes(16).toString('hex')
    const started = performance.now()
    const tally = await this.#ask(ACQUIRE, resource, [token, String(ttlMs)], this.#timeoutMs)
    const validUntil = started + ttlMs - drift(ttlMs)
    if (tally.outcome === 'won' && performance.now() < validUntil) {
      return this.#handle(resource, token, validUntil)
    }
    // Partial locks (and answers still on their way) expire by themselves; releasing them
    // early is a courtesy, never awaited: the caller has its answer.
    this.#releaseInBackground(resource, token)
    if (tally.outcome === 'won') throw new LockError('lock acquired too late: no validity left')
    // Held by someone (a majority against, or a split vote): contention, not a failure.
    if (tally.outcome !== 'failed') return undefined
    throw new LockError(
      `only ${this.#nodes.length - tally.failed} of ${this.#nodes.length} lock nodes answered`,
    )
  }

  async remaining(resource: string): Promise<number> {
    const tally = await this.#ask(PTTL, resource, [], this.#timeoutMs, (ms) => Number(ms) > 0)
    if (tally.outcome === 'won') {
      const held = tally.for.map((node) => Number(tally.replies[node])).sort((a, b) => b - a)
      return held[this.#quorum - 1]!
    }
    if (tally.outcome === 'failed') {
      throw new LockError(
        `only ${this.#nodes.length - tally.failed} of ${this.#nodes.length} lock nodes answered`,
      )
    }
    return 0
  }

  async health(): Promise<LockHealth> {
    const nodes = await Promise.all(
      this.#nodes.map(async (node) => {
        const started = performance.now()
        try {
          await node.probe(this.#timeoutMs)
          return { up: true, latencyMs: performance.now() - started }
        } catch (error) {
          return { up: false, error: (error as Error).message || (error as Error).name }
        }
      }),
    )
    return { nodes, quorum: nodes.filter((n) => n.up).length >= this.#quorum }
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const timer of this.#retries) clearTimeout(timer)
    this.#retries.clear()
    await Promise.all(this.#nodes.map((node) => node.close()))
  }

  #handle(resource: string, token: string, firstValidUntil: number): LockHandle {
    let validUntil = firstValidUntil
    let released = false
    return {
      extend: async (ttlMs) => {
        // Retry extensions that got no answer (a slow node, a timeout) for as long as the lock
        // is valid: one slow reply must not end the heartbeat (defect 6 of issue 12). Give up
        // only when a majority says the lock is someone else's, or the validity is gone.
        for (;;) {
          const started = performance.now()
          const left = validUntil - started
          if (released || left <= 0) return false
          const budget = Math.min(this.#timeoutMs, left)
          const tally = await this.#ask(EXTEND, resource, [token, String(ttlMs)], budget)
          if (tally.outcome === 'won') {
            validUntil = started + ttlMs - drift(ttlMs)
            return true
          }
          if (tally.outcome === 'lost' || tally.outcome === 'split') return false
          await sleep(Math.max(1, Math.min(EXTEND_RETRY_MS, validUntil - performance.now())))
        }
      },
      release: async () => {
        if (released) return
        released = true
        // Answered by a majority is enough: the others' copies expire (or answer later).
        const tally = await this.#ask(RELEASE, resource, [token], this.#timeoutMs, () => true)
        if (tally.outcome !== 'won') this.#retryRelease(resource, token, validUntil)
      },
    }
  }

  /**
   * Retry, in the background, a release that no majority answered, for as long as the lock may
   * still be held. Left in place, the lock would make every caller of the key, on every
   * instance, wait until it expires: on Redis Cluster a lock taken just before its master died
   * survives on the promoted replica, and its holder's release went to the dead master.
   */
  #retryRelease(resource: string, token: string, validUntil: number): void {
    if (this.#closed || performance.now() + RELEASE_RETRY_MS >= validUntil) return
    const timer = setTimeout(() => {
      this.#retries.delete(timer)
      void this.#ask(RELEASE, resource, [token], this.#timeoutMs, () => true).then((tally) => {
        if (tally.outcome !== 'won') this.#retryRelease(resource, token, validUntil)
      })
    }, RELEASE_RETRY_MS)
    timer.unref()
    this.#retries.add(timer)
  }

  #releaseInBackground(resource: string, token: string): void {
    void this.#ask(RELEASE, resource, [token], this.#timeoutMs, () => true)
  }

  #ask(
    script: typeof ACQUIRE,
    resource: string,
    args: string[],
    timeoutMs: number,
    isFor: (reply: unknown) => boolean = isOne,
  ): Promise<Tally> {
    return countVotes(
      this.#nodes.length,
      this.#quorum,
      (node) => this.#nodes[node]!.run(script, resource, args, timeoutMs),
      isFor,
    )
  }
}

/** Redlock's allowance for clock drift between nodes: 1% of the ttl plus 2 ms. */
function drift(ttlMs: number): number {
  return Math.round(ttlMs * 0.01) + 2
}
