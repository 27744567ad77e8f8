/** Keys (and namespaces, and tags) whose last drop is remembered. */
const MAX_MARKS = 4_096

/**
 * The tier's epoch when a read or write went to the store; `L1Tier#set` refuses its value when
 * the key was dropped since.
 */
export type L1Ticket = number

/**
 * The L1 tier's drop epochs: a read or write that is still in flight when an invalidation drops
 * a key (here or, through the bus, elsewhere) carries a value from before it, and must not put
 * that value back. Every drop starts a new epoch and remembers it per key (per namespace, per
 * tag, or for the whole tier); a read or write takes a ticket (the epoch) before it goes to the
 * store, and may only fill a slot when nothing dropped that key after its ticket. The per-key
 * memory is bounded: when it is full it is forgotten and every older ticket is refused instead
 * (a few extra store reads, never a stale slot).
 */
export class L1Epochs {
  #epoch = 0
  // Tickets below the floor are refused (after a full drop, or when the marks were forgotten).
  #floor = 0
  readonly #keyMarks = new Map<string, number>()
  readonly #namespaceMarks = new Map<string, number>()
  readonly #tagMarks = new Map<string, number>()

  /** The ticket a read or write takes before it goes to the store. */
  ticket(): L1Ticket {
    return this.#epoch
  }

  /** A key was dropped. */
  markKey(key: string): void {
    this.#mark(this.#keyMarks, key)
  }

  /** Every key of a namespace was dropped. */
  markNamespace(namespace: string): void {
    this.#mark(this.#namespaceMarks, namespace)
  }

  /** Every key carrying one of `tags` was dropped. */
  markTags(tags: readonly string[]): void {
    this.#epoch++
    if (this.#tagMarks.size + tags.length > MAX_MARKS) {
      this.#tagMarks.clear()
      this.#floor = this.#epoch
    }
    for (const tag of tags) this.#tagMarks.set(tag, this.#epoch)
  }

  /** Everything was dropped: every ticket taken so far is refused. */
  markAll(): void {
    this.#epoch++
    this.#floor = this.#epoch
    this.#keyMarks.clear()
    this.#namespaceMarks.clear()
    this.#tagMarks.clear()
  }

  /** Start an epoch and remember it for `name`; a full memory is forgotten (raising the floor). */
  #mark(marks: Map<string, number>, name: string): void {
    this.#epoch++
    if (marks.size >= MAX_MARKS) {
      marks.clear()
      this.#floor = this.#epoch
    }
    marks.set(name, this.#epoch)
  }

  /** Whether the key (by itself, its namespace or a tag) was dropped after `ticket`. */
  droppedSince(key: string, namespace: string, tags: readonly string[], ticket: L1Ticket): boolean {
    if (ticket === this.#epoch) return false
    if (ticket < this.#floor) return true
    return (
      (this.#keyMarks.get(key) ?? 0) > ticket ||
      (this.#namespaceMarks.get(namespace) ?? 0) > ticket ||
      tags.some((tag) => (this.#tagMarks.get(tag) ?? 0) > ticket)
    )
  }
}
