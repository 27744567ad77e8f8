// redlock@5.0.0-beta.2 ships dist/index.d.ts, but its package.json "exports" has no "types"
// condition, so TypeScript with NodeNext resolution cannot see it (TS7016), and those typings
// require ioredis clients anyway. This ambient declaration mirrors the parts herdlock uses,
// typed for the node-redis adapter in src/lock/redlock-lock.ts. Do NOT replace it with a
// tsconfig "paths" mapping: tsx honours "paths" at run time and would load the .d.ts file.
declare module 'redlock' {
  import { EventEmitter } from 'node:events'

  /** What redlock 5 calls on each client. */
  export interface RedlockClient {
    evalsha(sha: string, numKeys: number, args: (string | number)[]): Promise<unknown>
    eval(script: string, numKeys: number, args: (string | number)[]): Promise<unknown>
    quit(): Promise<unknown>
  }
  export type ExecutionStats = {
    readonly membershipSize: number
    readonly quorumSize: number
    readonly votesFor: Set<RedlockClient>
    readonly votesAgainst: Map<RedlockClient, Error>
  }
  export type ExecutionResult = { attempts: ReadonlyArray<Promise<ExecutionStats>> }
  export interface Settings {
    readonly driftFactor: number
    readonly retryCount: number
    readonly retryDelay: number
    readonly retryJitter: number
    readonly automaticExtensionThreshold: number
  }
  export class ResourceLockedError extends Error {
    constructor(message: string)
  }
  export class ExecutionError extends Error {
    readonly attempts: ReadonlyArray<Promise<ExecutionStats>>
    constructor(message: string, attempts: ReadonlyArray<Promise<ExecutionStats>>)
  }
  export class Lock {
    readonly redlock: Redlock
    readonly resources: string[]
    readonly value: string
    readonly attempts: ReadonlyArray<Promise<ExecutionStats>>
    expiration: number
    release(): Promise<ExecutionResult>
    extend(duration: number): Promise<Lock>
  }
  export default class Redlock extends EventEmitter {
    readonly clients: Set<RedlockClient>
    readonly settings: Settings
    constructor(clients: Iterable<RedlockClient>, settings?: Partial<Settings>)
    quit(): Promise<void>
    acquire(resources: string[], duration: number, settings?: Partial<Settings>): Promise<Lock>
    release(lock: Lock, settings?: Partial<Settings>): Promise<ExecutionResult>
    extend(existing: Lock, duration: number, settings?: Partial<Settings>): Promise<Lock>
  }
}
