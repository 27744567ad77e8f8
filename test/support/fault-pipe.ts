import type { Socket } from 'node:net'
import { RespError } from './resp.js'

/** Which way bytes travel: `up` = client → Redis (commands), `down` = Redis → client (replies). */
export type Direction = 'up' | 'down'

/** A fault that applies to every connection of a proxy (current and future), per direction. */
export interface SharedFault {
  /** Hold every byte until resumed. */
  paused: boolean
  /** Deliver each frame this many ms after it arrived (0 = at once). */
  delayMs: number
  /** Discard every byte (the peer never sees them; the socket stays open). */
  dropping: boolean
}

interface Queued {
  readonly at: number
  readonly bytes: Buffer
  /** Hold the pipe when this frame reaches its head (a hold placed on this exact frame). */
  gate?: HoldGate
}

/** A hold placed on one frame: the pipe stops in front of it until released. */
export interface HoldGate {
  /** Called once the pipe actually stopped in front of the frame. */
  readonly onHeld: () => void
  released: boolean
}

/**
 * One direction of a proxied connection: splits the byte stream into RESP frames (so faults
 * start and stop at frame boundaries), lets the owner inspect each frame (and gate it), and
 * delivers frames in order, subject to pauses, delays and drops.
 */
export class FaultPipe {
  readonly #dest: Socket
  readonly #shared: SharedFault
  readonly #frameEnd: (buffer: Buffer, from: number) => number
  readonly #inspect: (frame: Buffer) => HoldGate | undefined
  readonly #pauses = new Set<HoldGate | 'manual'>()
  #queue: Queued[] = []
  #pending: Buffer = Buffer.alloc(0)
  #parsing = true
  #timer: NodeJS.Timeout | undefined
  #closed = false
  /** A delay of this pipe alone; undefined: the proxy's. */
  delayMs: number | undefined
  /** Drop this pipe's bytes, whatever the proxy does. */
  dropping = false
  /** Bytes this pipe discarded. */
  droppedBytes = 0

  constructor(
    dest: Socket,
    shared: SharedFault,
    frameEnd: (buffer: Buffer, from: number) => number,
    inspect: (frame: Buffer) => HoldGate | undefined,
  ) {
    this.#dest = dest
    this.#shared = shared
    this.#frameEnd = frameEnd
    this.#inspect = inspect
  }

  /** Whether bytes are currently held (a pause, a hold, or the proxy's pause). */
  get holding(): boolean {
    return this.#pauses.size > 0 || this.#shared.paused
  }

  /** Frames waiting for delivery. */
  get queued(): number {
    return this.#queue.length
  }

  push(chunk: Buffer): void {
    if (this.#closed) return
    if (this.dropping || this.#shared.dropping) {
      this.droppedBytes += chunk.length
      return
    }
    if (!this.#parsing) {
      this.#enqueue(chunk, undefined)
      return this.flush()
    }
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    let from = 0
    try {
      for (let end = this.#frameEnd(this.#pending, 0); end !== -1;) {
        const frame = this.#pending.subarray(from, end)
        this.#enqueue(frame, this.#inspect(frame))
        from = end
        end = this.#frameEnd(this.#pending, from)
      }
    } catch (error) {
      if (!(error instanceof RespError)) throw error
      // Not RESP (or a parser gap): stop parsing and pass everything through as bytes.
      this.#parsing = false
      this.#enqueue(this.#pending.subarray(from), undefined)
      from = this.#pending.length
    }
    this.#pending = this.#pending.subarray(from)
    this.flush()
  }

  pause(): void {
    this.#pauses.add('manual')
  }

  resume(): void {
    this.#pauses.delete('manual')
    this.flush()
  }

  /** Let a gated frame through. */
  release(gate: HoldGate): void {
    gate.released = true
    this.#pauses.delete(gate)
    this.flush()
  }

  /** Throw away what is queued and start dropping. */
  drop(): void {
    this.dropping = true
    this.discard()
  }

  /** Throw away what is queued (held or delayed), keep the pipe as it is. */
  discard(): void {
    for (const item of this.#queue) this.droppedBytes += item.bytes.length
    this.#queue = []
  }

  /** Deliver what may be delivered now; arm a timer for the next delayed frame. */
  flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    while (!this.#closed && this.#queue.length > 0) {
      const head = this.#queue[0]!
      if (head.gate !== undefined && !head.gate.released) {
        this.#pauses.add(head.gate)
        const gate = head.gate
        head.gate = undefined
        gate.onHeld()
      }
      if (this.holding) return
      const wait = head.at - performance.now()
      if (wait > 0) {
        this.#timer = setTimeout(() => this.flush(), Math.ceil(wait))
        return
      }
      this.#queue.shift()
      this.#dest.write(head.bytes)
    }
  }

  close(): void {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#queue = []
    this.#pending = Buffer.alloc(0)
  }

  #enqueue(bytes: Buffer, gate: HoldGate | undefined): void {
    const delay = this.delayMs ?? this.#shared.delayMs
    // Copy: the socket may reuse its chunk buffer, and a held frame outlives the chunk.
    const item: Queued = { at: performance.now() + delay, bytes: Buffer.from(bytes) }
    if (gate !== undefined) item.gate = gate
    this.#queue.push(item)
  }
}
