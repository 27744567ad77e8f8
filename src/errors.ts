/**
 * Every error herdlock raises, each with a stable `code` to branch on and, where another error
 * caused it, a `cause`. Errors thrown by the user's own functions never appear here: they are
 * rethrown unchanged.
 */

/** Options every herdlock error accepts. */
export interface HerdlockErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown
}

/** Base class of every error herdlock raises. Branch on `code`, not on the message. */
export class HerdlockError extends Error {
  /** A stable identifier for the kind of failure, e.g. `E_STORE_TIMEOUT`. */
  readonly code: string

  constructor(code: string, message: string, options: HerdlockErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined)
    this.code = code
    this.name = new.target.name
  }
}

/** An option passed to a herdlock factory or call has the wrong type. */
export class InvalidOptionError extends TypeError {
  /** Always `E_INVALID_OPTION`. */
  readonly code = 'E_INVALID_OPTION'
  /** Dotted path of the offending option, e.g. `lock.nodes[1]`. */
  readonly option: string

  constructor(option: string, message: string) {
    super(`herdlock: option "${option}" ${message}`)
    this.option = option
    this.name = 'InvalidOptionError'
  }
}

/** An option passed to a herdlock factory or call is outside its allowed range. */
export class OptionRangeError extends RangeError {
  /** Always `E_OPTION_RANGE`. */
  readonly code = 'E_OPTION_RANGE'
  /** Dotted path of the offending option. */
  readonly option: string

  constructor(option: string, message: string) {
    super(`herdlock: option "${option}" ${message}`)
    this.option = option
    this.name = 'OptionRangeError'
  }
}

/** A cache key, namespace, tag or pattern is not usable (empty, not a string, ...). */
export class InvalidKeyError extends TypeError {
  /** Always `E_INVALID_KEY`. */
  readonly code = 'E_INVALID_KEY'

  constructor(message: string) {
    super(`herdlock: ${message}`)
    this.name = 'InvalidKeyError'
  }
}

/** The store (Redis) failed or answered something unexpected. Emitted, then failed open. */
export class StoreError extends HerdlockError {
  /** The store operation that failed, e.g. `get`. */
  readonly operation: string

  constructor(operation: string, message: string, options: HerdlockErrorOptions = {}) {
    super('E_STORE', `herdlock: store ${operation} failed: ${message}`, options)
    this.operation = operation
  }
}

/** A store operation did not complete within `commandTimeout`. */
export class StoreTimeoutError extends HerdlockError {
  /** The store operation that timed out, e.g. `get`. */
  readonly operation: string
  /** The deadline it missed, in ms (the resolved `commandTimeout`). */
  readonly timeoutMs: number

  constructor(operation: string, timeoutMs: number) {
    super('E_STORE_TIMEOUT', `herdlock: store ${operation} timed out after ${timeoutMs} ms`)
    this.operation = operation
    this.timeoutMs = timeoutMs
  }
}

/** The store's circuit breaker is open: the call was not attempted. */
export class StoreUnavailableError extends HerdlockError {
  /** The store operation that was skipped, e.g. `set`. */
  readonly operation: string

  constructor(operation: string, options: HerdlockErrorOptions = {}) {
    super('E_STORE_UNAVAILABLE', `herdlock: store unavailable, ${operation} skipped`, options)
    this.operation = operation
  }
}

/** A value could not be serialized (functions, symbols, circular references, ...). */
export class SerializationError extends HerdlockError {
  constructor(message: string, options: HerdlockErrorOptions = {}) {
    super('E_SERIALIZE', `herdlock: cannot serialize value: ${message}`, options)
  }
}

/** A stored entry could not be decoded (corrupt, truncated or written by something else). */
export class CorruptEntryError extends HerdlockError {
  constructor(message: string, options: HerdlockErrorOptions = {}) {
    super('E_CORRUPT_ENTRY', `herdlock: corrupt cache entry: ${message}`, options)
  }
}

/** The distributed lock failed for a reason other than contention (nodes down, no quorum). */
export class LockError extends HerdlockError {
  constructor(message: string, options: HerdlockErrorOptions = {}) {
    super('E_LOCK', `herdlock: lock failed: ${message}`, options)
  }
}

/** A caller waited `waitTimeout` for another instance's computation and chose to fail. */
export class WaitTimeoutError extends HerdlockError {
  /** How long the caller waited, in ms (the resolved `waitTimeout`). */
  readonly timeoutMs: number

  constructor(timeoutMs: number) {
    super('E_WAIT_TIMEOUT', `herdlock: waited ${timeoutMs} ms for another computation`)
    this.timeoutMs = timeoutMs
  }
}

/** The function passed to `cacheFn` did not settle within `hardTimeout`. */
export class HardTimeoutError extends HerdlockError {
  /** The deadline the function missed, in ms (the resolved `hardTimeout`). */
  readonly timeoutMs: number

  constructor(timeoutMs: number) {
    super('E_HARD_TIMEOUT', `herdlock: function did not finish within ${timeoutMs} ms`)
    this.timeoutMs = timeoutMs
  }
}

/**
 * The function failed in another instance that held the lock. It carries the original error's
 * `name`, `message` and `code`, so callers can branch on them as if the error were local.
 */
export class RemoteFunctionError extends HerdlockError {
  /** Always true: marks errors reconstructed from another instance's failure message. */
  readonly remote = true

  constructor(name: string, message: string, code: string | undefined) {
    super(code ?? 'E_REMOTE_FUNCTION', message)
    this.name = name
  }
}

/** The cache was closed; no more calls are accepted. */
export class CacheClosedError extends HerdlockError {
  constructor() {
    super('E_CLOSED', 'herdlock: the cache is closed')
  }
}

/**
 * `invalidate()` could not be carried out: the store failed or did not answer in time (its
 * `cause` says how). An invalidation never fails silently: it resolves once it took effect, or
 * rejects with this error. It may have partly taken effect (some entries of a namespace, pattern
 * or tag were removed, or the reply of a key's removal was lost): invalidation is idempotent, so
 * retrying it is safe.
 */
export class InvalidationError extends HerdlockError {
  /** What kind of target failed: `key`, `namespace`, `pattern` or `tags`. */
  readonly target: 'key' | 'namespace' | 'pattern' | 'tags'

  constructor(target: InvalidationError['target'], options: HerdlockErrorOptions = {}) {
    const reason = options.cause instanceof Error ? `: ${options.cause.message}` : ''
    super('E_INVALIDATE', `herdlock: invalidate({ ${target} }) failed${reason}`, options)
    this.target = target
  }
}

/** Turn anything thrown into an Error, keeping Errors as they are. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  return new Error(typeof thrown === 'string' ? thrown : 'non-error thrown', { cause: thrown })
}
