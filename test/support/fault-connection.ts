import type { Socket } from 'node:net'
import { FaultPipe, type Direction, type HoldGate, type SharedFault } from './fault-pipe.js'
import { commandEnd, frameEnd, isPush, readCommand, type RespCommand } from './resp.js'

/** What a connection asks its proxy about each command it sees (hold it? hold its reply?). */
export interface CommandHooks {
  /** A gate when the command itself must be held before it reaches Redis. */
  onCommand(command: RespCommand, connection: ProxiedConnection): HoldGate | undefined
  /** A gate when the reply to this command must be held before it reaches the client. */
  onReplyFor(command: RespCommand, connection: ProxiedConnection): HoldGate | undefined
}

const SUBSCRIBING = new Set(['SUBSCRIBE', 'SSUBSCRIBE', 'PSUBSCRIBE'])
const BOTH: readonly Direction[] = ['up', 'down']

/**
 * One client connection through the proxy and its connection to Redis. Commands going up are
 * parsed (name and arguments); replies going down are matched to their command, in order, so a
 * test can hold the reply to one exact command. Once a connection subscribes it is a
 * subscriber: its replies are pushes, not answers, and are no longer matched.
 */
export class ProxiedConnection {
  /** Sequence number within its proxy (1, 2, ...). */
  readonly id: number
  /** Names of the commands sent so far, in order (upper case). */
  readonly commands: string[] = []
  readonly #client: Socket
  readonly #server: Socket
  readonly #pipes: Record<Direction, FaultPipe>
  /** Gates for the replies still expected, one slot per command sent (FIFO). */
  readonly #replies: (HoldGate | undefined)[] = []
  #subscriber = false
  #closed = false
  readonly #onClose: () => void

  constructor(
    id: number,
    client: Socket,
    server: Socket,
    shared: Record<Direction, SharedFault>,
    hooks: CommandHooks,
    onClose: () => void,
  ) {
    this.id = id
    this.#client = client
    this.#server = server
    this.#onClose = onClose
    const up = new FaultPipe(server, shared.up, commandEnd, (frame) => {
      const command = readCommand(frame)
      this.commands.push(command.name)
      if (SUBSCRIBING.has(command.name)) {
        this.#subscriber = true
        this.#replies.length = 0
      }
      if (!this.#subscriber) this.#replies.push(hooks.onReplyFor(command, this))
      return hooks.onCommand(command, this)
    })
    const down = new FaultPipe(client, shared.down, frameEnd, (frame) => {
      if (this.#subscriber || isPush(frame)) return undefined
      return this.#replies.shift()
    })
    this.#pipes = { up, down }
    client.on('data', (chunk: Buffer) => up.push(chunk))
    server.on('data', (chunk: Buffer) => down.push(chunk))
    for (const socket of [client, server]) {
      socket.on('error', () => this.destroy())
      socket.on('close', () => this.destroy())
    }
  }

  /** Whether it sent SUBSCRIBE, SSUBSCRIBE or PSUBSCRIBE (a pub/sub connection). */
  get subscriber(): boolean {
    return this.#subscriber
  }

  /** Whether it is closed (by either side, a reset or the proxy). */
  get closed(): boolean {
    return this.#closed
  }

  /** The pipe of one direction (for its counters). */
  pipe(direction: Direction): FaultPipe {
    return this.#pipes[direction]
  }

  /** Hold bytes (both directions by default) until `resume`. */
  pause(direction?: Direction): void {
    for (const d of pick(direction)) this.#pipes[d].pause()
  }

  /** Deliver what `pause` held, in order. */
  resume(direction?: Direction): void {
    for (const d of pick(direction)) this.#pipes[d].resume()
  }

  /** Deliver each later frame `ms` after it arrived (`undefined`: back to the proxy's delay). */
  delay(ms: number | undefined, direction: Direction = 'down'): void {
    this.#pipes[direction].delayMs = ms
  }

  /** Discard bytes from now on (held ones too); the sockets stay open, like a black hole. */
  drop(direction?: Direction): void {
    for (const d of pick(direction)) this.#pipes[d].drop()
  }

  /** Abort both sockets: the client sees ECONNRESET (a TCP RST), Redis sees the client go. */
  reset(): void {
    if (this.#closed) return
    this.#client.resetAndDestroy()
    this.destroy()
  }

  /** Close both sockets and stop every timer of this connection. */
  destroy(): void {
    if (this.#closed) return
    this.#closed = true
    this.#pipes.up.close()
    this.#pipes.down.close()
    this.#client.destroy()
    this.#server.destroy()
    this.#onClose()
  }

  /** Deliver held frames again after a proxy-wide change. */
  flush(): void {
    this.#pipes.up.flush()
    this.#pipes.down.flush()
  }
}

function pick(direction: Direction | undefined): readonly Direction[] {
  return direction === undefined ? BOTH : [direction]
}
