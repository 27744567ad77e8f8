import { createHash } from 'node:crypto'
import { createClient } from 'redis'
import { LockError } from '../errors.js'
import type { BreakerSettings } from '../store/breaker.js'
import { StoreBreakers } from '../store/breakers.js'
import { withDeadline } from '../store/deadline.js'
import {
  failFastClientOptions,
  isCluster,
  type RedisClient,
  type RedisConnectionInput,
} from '../store/redis-client.js'
import { keySlot } from '../store/redis-slot.js'

/** A Lua script of the lock, with its sha for EVALSHA. */
export interface LockScript {
  readonly lua: string
  readonly sha: string
}

/** Build a LockScript. */
export function lockScript(lua: string): LockScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') }
}

/** The node-redis methods a lock node needs (clients, clusters and pools all have them). */
interface EvalClient {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

/**
 * One lock node (an independent Redis master): scripts with a deadline, behind a circuit
 * breaker of its own. A hung or dead node costs its deadline a few times, then nothing: while
 * its breaker is open, its vote is an instant failure and no command is sent to it (so a hung
 * server does not make every contended call pay the command timeout, defect 9 of issue 12).
 */
export class LockNode {
  readonly #client: EvalClient
  readonly #whenConnected: <T>(work: () => Promise<T>) => Promise<T>
  readonly #close: () => Promise<void>
  readonly #breakers: StoreBreakers | undefined

  constructor(
    input: RedisConnectionInput,
    onError: (error: Error) => void,
    breaker: BreakerSettings | undefined,
  ) {
    // On a cluster, one breaker per master: a dead master must not stop the lock on the others.
    const shardOf =
      typeof input !== 'string' && isCluster(input)
        ? (key: string) => input.slots[keySlot(key)]?.master.address
        : undefined
    this.#breakers =
      breaker === undefined ? undefined : new StoreBreakers(breaker, () => undefined, shardOf)
    if (typeof input !== 'string') {
      this.#client = input
      this.#whenConnected = (work) => work()
      this.#close = () => Promise.resolve()
      return
    }
    const client = createClient(failFastClientOptions(input)) as RedisClient
    client.on('error', onError)
    let connected = false
    const firstReady = new Promise<void>((resolve) => client.once('ready', () => resolve()))
    void firstReady.then(() => (connected = true))
    let closing = false
    // A close while connecting destroys the client: its connect() rejecting then is no error.
    client.connect().catch((error: Error) => closing || onError(error))
    this.#client = client
    // Lock clients have no offline queue: commands sent while connecting would be refused.
    this.#whenConnected = (work) => (connected ? work() : firstReady.then(work))
    this.#close = () => {
      closing = true
      return closeOwned(client, onError)
    }
  }

  /**
   * Run a script within `timeoutMs`. Rejects at once, sending nothing, while the breaker is
   * open. The outcome (a reply or an error) feeds the breaker.
   */
  async run(script: LockScript, key: string, args: string[], timeoutMs: number): Promise<unknown> {
    const breaker = this.#breakers?.for(key)
    // The ticket ties the outcome to the breaker state it was admitted in (late results).
    const ticket = breaker === undefined ? 0 : breaker.allow()
    if (ticket < 0) throw new LockError('lock node skipped: its circuit breaker is open')
    try {
      const reply = await this.#bounded(() => this.#eval(script, [key], args), timeoutMs)
      breaker?.success(ticket)
      return reply
    } catch (error) {
      breaker?.failure(ticket)
      throw error
    }
  }

  /** A round trip that bypasses the breaker (health probes must see the node as it is). */
  probe(timeoutMs: number): Promise<unknown> {
    return this.#bounded(
      () => this.#client.eval('return 1', { keys: [], arguments: [] }),
      timeoutMs,
    )
  }

  close(): Promise<void> {
    this.#breakers?.clear()
    return this.#close()
  }

  #bounded<T>(work: () => Promise<T>, timeoutMs: number): Promise<T> {
    return withDeadline('lock', Math.max(1, timeoutMs), this.#whenConnected(work), (e) =>
      e instanceof Error ? e : new Error(String(e)),
    )
  }

  async #eval(script: LockScript, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.#client.evalSha(script.sha, { keys, arguments: args })
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
      return this.#client.eval(script.lua, { keys, arguments: args })
    }
  }
}

async function closeOwned(client: RedisClient, onError: (error: Error) => void): Promise<void> {
  client.off('error', onError)
  client.on('error', () => undefined)
  client.on('ready', () => client.destroy())
  if (!client.isReady) {
    if (client.isOpen) client.destroy()
    return
  }
  // Graceful close waits for pending replies: never wait long on a hung node.
  let timer: NodeJS.Timeout | undefined
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, 500)))
  await Promise.race([client.close().catch(() => undefined), grace])
  clearTimeout(timer)
  if (client.isOpen) client.destroy()
}
