/** A Redis server a test can start, stop, restart, pause and resume. */
export interface RedisNode {
  /** `redis://host:port` */
  readonly url: string
  /** Whether the server is currently started (paused still counts as running). */
  readonly running: boolean
  /** Stop the server (abruptly, as a crash would). */
  stop(): Promise<void>
  /** Start it again on the same address, empty. */
  restart(): Promise<void>
  /** Freeze it: connections stay open, nothing is answered (SIGSTOP / docker pause). */
  pause(): Promise<void>
  /** Unfreeze it. */
  resume(): Promise<void>
}
