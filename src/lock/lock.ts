/**
 * The Lock seam: an efficiency lock that lets one instance compute a missing value while the
 * others wait. Contention is a value (`undefined`), failure is an exception (LockError): losing
 * the race is normal, Redis nodes being down is not.
 */
export interface DistributedLock {
  /**
   * Try once to take `resource` for `ttlMs`. Resolves to a handle, or undefined when someone
   * else holds it. Rejects with LockError when the lock nodes fail (no quorum reachable).
   */
  tryAcquire(resource: string, ttlMs: number): Promise<LockHandle | undefined>
  /**
   * How many ms the current holder of `resource` still has: 0 when free. Rejects with
   * LockError when it cannot be told.
   */
  remaining(resource: string): Promise<number>
  /** Reachability of each lock node and whether a quorum is reachable. */
  health(): Promise<LockHealth>
  /** Close the connections this lock opened. */
  close(): Promise<void>
}

/** A held lock. */
export interface LockHandle {
  /** Extend the lock to `ttlMs` from now; false when it was lost (expired, taken). */
  extend(ttlMs: number): Promise<boolean>
  /** Release it; never throws (a lost lock expires by itself). */
  release(): Promise<void>
}

/** Health of the lock nodes. */
export interface LockHealth {
  /** One entry per node, in configuration order. */
  readonly nodes: readonly {
    /** Whether the node answered. */
    readonly up: boolean
    /** Round trip of the probe, in ms, when it answered. */
    readonly latencyMs?: number
    /** Why it did not answer (sanitized: no credentials). */
    readonly error?: string
  }[]
  /** Whether a majority of nodes answered. */
  readonly quorum: boolean
}
