import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { Direction, HoldGate, SharedFault } from './fault-pipe.js'
import { ProxiedConnection } from './fault-connection.js'
import type { RespCommand } from './resp.js'
import { deferred, type Deferred } from './wait.js'

export type { Direction } from './fault-pipe.js'
export { ProxiedConnection } from './fault-connection.js'
export type { RespCommand } from './resp.js'

/**
 * Which commands a hold applies to: a command name (case-insensitive: `'EVALSHA'`), or a
 * predicate over the parsed command and its connection. See `commandWith` for the common case.
 */
export type CommandMatch =
  string | ((command: RespCommand, connection: ProxiedConnection) => boolean)

/**
 * Matches `name` when some argument contains every `needle` between them (a key, a script sha,
 * a channel): `commandWith('EVALSHA', lockKey)`.
 */
export function commandWith(name: string, ...needles: string[]): CommandMatch {
  const upper = name.toUpperCase()
  return (command) =>
    command.name === upper &&
    needles.every((needle) => command.args.some((arg) => arg.includes(needle)))
}

/** A hold on one frame: the command (or its reply) and everything after it on its connection. */
export interface Hold {
  /** Resolves once the bytes are actually held: with the command and its connection. */
  readonly reached: Promise<{ command: RespCommand; connection: ProxiedConnection }>
  /** Whether the hold is in place now. */
  readonly held: boolean
  /** Let the held bytes through (idempotent). Before `reached`, cancels the hold instead. */
  release(): void
}

interface HoldRequest {
  readonly kind: 'command' | 'reply'
  readonly match: CommandMatch
  readonly connection: ProxiedConnection | undefined
  readonly reached: Deferred<{ command: RespCommand; connection: ProxiedConnection }>
  gate: HoldGate | undefined
  release: (() => void) | undefined
  cancelled: boolean
}

/** Where the proxy forwards to. */
export interface FaultProxyTarget {
  readonly host: string
  readonly port: number
}

/**
 * A TCP proxy between herdlock and one Redis server, scripted by a test to misbehave. Point a
 * cache (or one lock node) at `proxy.url` instead of the server's URL; give each instance under
 * test its own proxy when the test must tell their connections apart.
 *
 * Faults, per proxy (every connection, current and future) or per connection, per direction
 * (`up` = commands to Redis, `down` = replies):
 * - `pause` / `resume`: hold bytes (a hung server or a stalled link; SIGSTOP-like);
 * - `delay(ms)`: deliver every frame late (a slow server);
 * - `drop`: discard bytes, socket left open (a black hole; callers hang until their timeout);
 * - `reset`: abort connections with a TCP RST; `killSubscribers`: only pub/sub connections;
 * - `refuse`: reset new connections as they arrive (a server that is down); `accept` undoes it;
 * - `holdCommand(match)` / `holdReply(match)`: stop exactly in front of the next matching
 *   command (it has not run) or its reply (it ran, the client does not know yet).
 *
 * Faults act on whole RESP frames, in order: a pause or a hold never splits a reply, and bytes
 * after a held frame wait behind it. `close()` ends every socket, timer and the listener; call it
 * in `after`/`afterEach`.
 *
 * @example
 * const proxy = await FaultProxy.start(node.url)
 * const cache = createCache({ redis: proxy.url, ... })
 * const write = proxy.holdCommand(commandWith('EVALSHA', 'my-key'))
 * const call = cache.cacheFn('my-key', fn)
 * await write.reached          // the holder's write is in the proxy, not yet in Redis
 * ...                          // let another instance take over
 * write.release()              // the zombie's write lands now
 * await proxy.close()
 */
export class FaultProxy {
  readonly #server: Server
  readonly #target: FaultProxyTarget
  readonly #shared: Record<Direction, SharedFault> = {
    up: { paused: false, delayMs: 0, dropping: false },
    down: { paused: false, delayMs: 0, dropping: false },
  }
  readonly #connections = new Set<ProxiedConnection>()
  readonly #requests: HoldRequest[] = []
  readonly #listeners = new Set<(command: RespCommand, connection: ProxiedConnection) => void>()
  readonly #arrivals = new Set<(connection: ProxiedConnection) => void>()
  readonly #counts = new Map<string, number>()
  #refusing = false
  #next = 1
  #closed = false
  /** The port the proxy listens on (127.0.0.1). */
  readonly port: number

  private constructor(server: Server, target: FaultProxyTarget) {
    this.#server = server
    this.#target = target
    this.port = (server.address() as AddressInfo).port
  }

  /** Start a proxy to `target` (`redis://host:port` or host and port) on a free local port. */
  static async start(target: string | FaultProxyTarget): Promise<FaultProxy> {
    const to = typeof target === 'string' ? parseTarget(target) : target
    const early: Socket[] = []
    let accept = (socket: Socket): void => void early.push(socket)
    const server = createServer((socket) => accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const proxy = new FaultProxy(server, to)
    accept = (socket) => proxy.#accept(socket)
    for (const socket of early) accept(socket)
    return proxy
  }

  /** `redis://127.0.0.1:<port>`: give it to the client under test. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Open connections, oldest first. */
  get connections(): ProxiedConnection[] {
    return [...this.#connections]
  }

  /** Open pub/sub connections (they sent SUBSCRIBE, SSUBSCRIBE or PSUBSCRIBE). */
  get subscribers(): ProxiedConnection[] {
    return this.connections.filter((c) => c.subscriber)
  }

  /** How many commands named `name` went through since the proxy started (held ones included). */
  seen(name: string): number {
    return this.#counts.get(name.toUpperCase()) ?? 0
  }

  /** Call `listener` for every command sent through the proxy; returns an unsubscribe function. */
  onCommand(listener: (command: RespCommand, connection: ProxiedConnection) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Resolves with the next connection that sends a command matching `match` (any by default). */
  nextCommand(match: CommandMatch = () => true): Promise<ProxiedConnection> {
    return new Promise((resolve) => {
      const stop = this.onCommand((command, connection) => {
        if (!matches(match, command, connection)) return
        stop()
        resolve(connection)
      })
    })
  }

  /** Resolves with the next connection made to the proxy. */
  nextConnection(): Promise<ProxiedConnection> {
    return new Promise((resolve) => {
      const arrival = (connection: ProxiedConnection): void => {
        this.#arrivals.delete(arrival)
        resolve(connection)
      }
      this.#arrivals.add(arrival)
    })
  }

  /** Hold bytes of every connection, current and future (both directions by default). */
  pause(direction?: Direction): void {
    for (const d of pick(direction)) this.#shared[d].paused = true
  }

  /** Deliver what `pause` held. */
  resume(direction?: Direction): void {
    for (const d of pick(direction)) this.#shared[d].paused = false
    for (const connection of this.#connections) connection.flush()
  }

  /** Deliver every later frame `ms` late (replies by default); 0 turns it off. */
  delay(ms: number, direction: Direction = 'down'): void {
    this.#shared[direction].delayMs = ms
  }

  /** Discard bytes of every connection, current and future, until `stopDropping`. */
  drop(direction?: Direction): void {
    for (const d of pick(direction)) {
      this.#shared[d].dropping = true
      for (const connection of this.#connections) connection.pipe(d).discard()
    }
  }

  /** New bytes flow again (what was dropped stays lost). */
  stopDropping(direction?: Direction): void {
    for (const d of pick(direction)) this.#shared[d].dropping = false
  }

  /** Reset (TCP RST) every open connection, or those `which` selects; resolves to how many. */
  reset(which: (connection: ProxiedConnection) => boolean = () => true): number {
    const chosen = this.connections.filter(which)
    for (const connection of chosen) connection.reset()
    return chosen.length
  }

  /** Reset every pub/sub connection (what a failover or a proxy timeout does to subscribers). */
  killSubscribers(): number {
    return this.reset((c) => c.subscriber)
  }

  /** Reset new connections as they arrive (the server looks down); `accept` undoes it. */
  refuse(): void {
    this.#refusing = true
  }

  /** Accept new connections again. */
  accept(): void {
    this.#refusing = false
  }

  /**
   * Hold the next command matching `match` before it reaches Redis (it does not run until
   * released). Only on `connection` when given.
   */
  holdCommand(match: CommandMatch, connection?: ProxiedConnection): Hold {
    return this.#hold('command', match, connection)
  }

  /**
   * Hold the reply to the next command matching `match`: the command runs, its reply (and every
   * later reply on that connection) waits until released. Not for pub/sub connections.
   */
  holdReply(match: CommandMatch, connection?: ProxiedConnection): Hold {
    return this.#hold('reply', match, connection)
  }

  /** Close every connection, cancel pending holds and stop listening. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const request of this.#requests.splice(0)) {
      request.cancelled = true
      request.reached.reject(new Error('fault proxy closed before the hold was reached'))
    }
    for (const connection of this.#connections) connection.destroy()
    this.#listeners.clear()
    this.#arrivals.clear()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #hold(
    kind: 'command' | 'reply',
    match: CommandMatch,
    connection: ProxiedConnection | undefined,
  ): Hold {
    const reached = deferred<{ command: RespCommand; connection: ProxiedConnection }>()
    reached.promise.catch(() => undefined) // a hold never reached must not be an unhandled rejection
    const request: HoldRequest = {
      kind,
      match,
      connection,
      reached,
      gate: undefined,
      release: undefined,
      cancelled: false,
    }
    this.#requests.push(request)
    return {
      reached: reached.promise,
      get held() {
        return request.gate !== undefined && !request.gate.released && request.release !== undefined
      },
      release: () => {
        request.cancelled = true
        const index = this.#requests.indexOf(request)
        if (index !== -1) this.#requests.splice(index, 1)
        request.release?.()
      },
    }
  }

  /** The gate of the first waiting hold of `kind` this command matches (consumed). */
  #gateFor(
    kind: 'command' | 'reply',
    command: RespCommand,
    connection: ProxiedConnection,
  ): HoldGate | undefined {
    const index = this.#requests.findIndex(
      (r) =>
        r.kind === kind &&
        (r.connection === undefined || r.connection === connection) &&
        matches(r.match, command, connection),
    )
    if (index === -1) return undefined
    const [request] = this.#requests.splice(index, 1) as [HoldRequest]
    const direction: Direction = kind === 'command' ? 'up' : 'down'
    const gate: HoldGate = {
      released: false,
      onHeld: () => {
        request.release = () => connection.pipe(direction).release(gate)
        request.reached.resolve({ command, connection })
        if (request.cancelled) request.release()
      },
    }
    request.gate = gate
    return gate
  }

  #accept(client: Socket): void {
    if (this.#closed || this.#refusing) {
      client.on('error', () => undefined)
      client.resetAndDestroy()
      return
    }
    const server = connect({ host: this.#target.host, port: this.#target.port })
    const connection = new ProxiedConnection(
      this.#next++,
      client,
      server,
      this.#shared,
      {
        onCommand: (command, conn) => {
          this.#counts.set(command.name, (this.#counts.get(command.name) ?? 0) + 1)
          for (const listener of [...this.#listeners]) listener(command, conn)
          return this.#gateFor('command', command, conn)
        },
        onReplyFor: (command, conn) => this.#gateFor('reply', command, conn),
      },
      () => this.#connections.delete(connection),
    )
    this.#connections.add(connection)
    for (const arrival of [...this.#arrivals]) arrival(connection)
  }
}

function matches(
  match: CommandMatch,
  command: RespCommand,
  connection: ProxiedConnection,
): boolean {
  return typeof match === 'string'
    ? command.name === match.toUpperCase()
    : match(command, connection)
}

function pick(direction: Direction | undefined): readonly Direction[] {
  return direction === undefined ? ['up', 'down'] : [direction]
}

function parseTarget(url: string): FaultProxyTarget {
  const parsed = new URL(url)
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 6379) }
}
