/**
 * What a soak run records: every call, function run and invalidation of every worker, the
 * cache events that explain them, memory samples, crashes, the faults the parent injected and
 * how each worker exited. Times are wall-clock ms (`Date.now()`, one clock for every process
 * on the machine); `*Seq` numbers order the records of one process exactly.
 */

/** A cacheFn call as its caller saw it. */
export interface CallRecord {
  readonly type: 'call'
  readonly worker: number
  /** `namespace/key` */
  readonly key: string
  readonly start: number
  readonly end: number
  readonly startSeq: number
  readonly endSeq: number
  /** `hung`: still unsettled when the worker stopped (after the liveness bound). */
  readonly outcome: 'value' | 'error' | 'hung'
  readonly status?: 'hit' | 'stale' | 'miss'
  /** Where a hit was read from. */
  readonly tier?: 'l1' | 'store'
  /** Generation of the data the returned value was computed from. */
  readonly gen?: number
  /** Id of the function run that produced the returned value. */
  readonly run?: string
  readonly degraded?: boolean
  readonly error?: { readonly name: string; readonly message: string; readonly code?: string }
}

/** One execution of the cached function. */
export interface RunRecord {
  readonly type: 'run'
  readonly worker: number
  readonly key: string
  /** `w<worker>-<n>`, embedded in the value (or the error) it produced. */
  readonly id: string
  readonly start: number
  readonly end: number
  /** The data generation the function read when it started. */
  readonly gen: number
  readonly ok: boolean
}

/** One `cache.invalidate` call. */
export interface InvalidationRecord {
  readonly type: 'invalidation'
  readonly worker: number
  readonly target: string
  readonly kind: 'key' | 'namespace' | 'pattern' | 'tags'
  /** Key ids the target covers (per the model). */
  readonly keys: readonly string[]
  /** The generation each covered key was bumped to before invalidating. */
  readonly gens: Readonly<Record<string, number>>
  readonly start: number
  readonly end: number
  readonly startSeq: number
  readonly endSeq: number
  /** Resolved (true) or rejected (false). */
  readonly ok: boolean
  readonly removed?: number
  readonly error?: string
}

/** A cache event worth explaining violations with (takeovers, fence rejections, errors). */
export interface EventRecord {
  readonly type: 'event'
  readonly worker: number
  readonly at: number
  readonly name: string
  readonly detail?: string
}

export interface MemoryRecord {
  readonly type: 'memory'
  readonly worker: number
  readonly at: number
  readonly rss: number
  readonly heapUsed: number
}

/** An unhandled rejection or uncaught exception in a worker (or the parent). */
export interface CrashRecord {
  readonly type: 'crash'
  readonly worker: number
  readonly at: number
  readonly kind: 'unhandledRejection' | 'uncaughtException'
  readonly message: string
}

export type FaultKind =
  | 'store-pause'
  | 'store-restart'
  | 'lock-pause'
  | 'lock-restart'
  | 'lock-quorum'
  | 'pubsub-kill'
  | 'worker-pause'

/** A fault the parent injected, from its first signal to its end (resumed, restarted). */
export interface FaultRecord {
  readonly type: 'fault'
  readonly id: string
  readonly kind: FaultKind
  /** What it hit: `store`, `lock-1`, `lock-0+lock-2`, `worker-3`. */
  readonly target: string
  /** The worker it paused (worker-pause). */
  readonly worker?: number
  readonly start: number
  readonly end: number
}

/** How a worker process ended. */
export interface ExitRecord {
  readonly type: 'exit'
  readonly worker: number
  readonly code: number | null
  readonly signal: string | null
  /** It had to be killed after the exit deadline. */
  readonly killed: boolean
  /** Handles still open when it overran the deadline (reported by the worker itself). */
  readonly leaked?: readonly string[]
}

export type SoakRecord =
  | CallRecord
  | RunRecord
  | InvalidationRecord
  | EventRecord
  | MemoryRecord
  | CrashRecord
  | FaultRecord
  | ExitRecord

/** A run's records, split by type. */
export interface History {
  readonly calls: CallRecord[]
  readonly runs: RunRecord[]
  readonly invalidations: InvalidationRecord[]
  readonly events: EventRecord[]
  readonly memory: MemoryRecord[]
  readonly crashes: CrashRecord[]
  readonly faults: FaultRecord[]
  readonly exits: ExitRecord[]
}

export function emptyHistory(): History {
  return {
    calls: [],
    runs: [],
    invalidations: [],
    events: [],
    memory: [],
    crashes: [],
    faults: [],
    exits: [],
  }
}

/** File a record under its type. */
export function addRecord(history: History, record: SoakRecord): void {
  switch (record.type) {
    case 'call':
      return void history.calls.push(record)
    case 'run':
      return void history.runs.push(record)
    case 'invalidation':
      return void history.invalidations.push(record)
    case 'event':
      return void history.events.push(record)
    case 'memory':
      return void history.memory.push(record)
    case 'crash':
      return void history.crashes.push(record)
    case 'fault':
      return void history.faults.push(record)
    case 'exit':
      return void history.exits.push(record)
  }
}
