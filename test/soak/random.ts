/**
 * A small seeded PRNG (mulberry32): the soak's fault schedule and each worker's traffic are
 * functions of the seed, so a run can be repeated with `--seed`.
 */
export class Random {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!
  }

  /** A name drawn by weight from `{ name: weight }`. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][]
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0)
    let roll = this.next() * total
    for (const [name, weight] of entries) {
      roll -= weight
      if (roll < 0) return name
    }
    return entries[entries.length - 1]![0]
  }
}

/** A seed from the clock, for runs that give none. */
export function freshSeed(): number {
  return (Date.now() ^ (process.pid << 16)) >>> 0
}
