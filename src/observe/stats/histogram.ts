/**
 * A fixed-bucket latency histogram: constant memory whatever it records (one Float64Array of
 * 162 counts), O(log n) per record, mergeable, and precise enough for p50/p95/p99 on a status
 * page. HDR-style log buckets keep the relative error of a percentile under ~7%; keeping raw
 * samples (apicache's arrays) would cost memory per request.
 */

/** Mantissas of the fine bucket bounds: 20 per decade, no step wider than 15%. */
const MANTISSAS = [
  1, 1.1, 1.25, 1.4, 1.6, 1.8, 2, 2.25, 2.5, 2.8, 3.2, 3.6, 4, 4.5, 5, 5.6, 6.3, 7.1, 8, 9,
] as const
/** Decades covered, in ms: 1 µs (10^-3) up to 100 s (10^5); slower values go to overflow. */
const FIRST_DECADE = -3
const LAST_DECADE = 5

/** Upper bounds (inclusive) of the fine buckets, in ms, ascending. */
export const FINE_BOUNDS_MS: readonly number[] = Object.freeze(buildBounds())

/**
 * The bounds published as Prometheus `le` labels and JSON `buckets`, in ms. Each is one of the
 * fine bounds, so published buckets are exact sums of fine ones. Few on purpose: every bound is
 * a time series per namespace and histogram.
 */
export const PUBLISHED_BOUNDS_MS: readonly number[] = Object.freeze([
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000,
])

const BOUNDS = Float64Array.from(FINE_BOUNDS_MS)
/** Index of each published bound in BOUNDS. */
const PUBLISHED_INDEX = PUBLISHED_BOUNDS_MS.map((bound) => {
  const index = BOUNDS.findIndex((fine) => Math.abs(fine - bound) <= bound * 1e-9)
  if (index < 0) throw new Error(`published bound ${bound} ms is not a fine bucket bound`)
  return index
})

/**
 * A histogram as plain JSON. Percentiles are estimated from the buckets (within ~7%) and null
 * while nothing was recorded; times are in ms, rounded to the µs.
 */
export interface LatencySnapshot {
  /** Number of values recorded. */
  readonly count: number
  /** Sum of the values recorded, in ms. */
  readonly sumMs: number
  /** Smallest value recorded, in ms; null when none was. */
  readonly minMs: number | null
  /** Largest value recorded, in ms; null when none was. */
  readonly maxMs: number | null
  /** Median, in ms (estimated from the buckets); null when no value was recorded. */
  readonly p50: number | null
  /** 95th percentile, in ms (estimated from the buckets); null when no value was recorded. */
  readonly p95: number | null
  /** 99th percentile, in ms (estimated from the buckets); null when no value was recorded. */
  readonly p99: number | null
  /**
   * Cumulative counts: `buckets[i]` values were at most `latencyBucketsMs[i]` ms (the bounds are
   * listed once, in the stats snapshot); values above the last bound only count in `count`.
   */
  readonly buckets: readonly number[]
}

/** Fixed-bucket latency histogram (milliseconds). */
export class Histogram {
  /** One count per fine bucket, plus the overflow bucket at the end. */
  readonly #counts = new Float64Array(BOUNDS.length + 1)
  #count = 0
  #sum = 0
  #min = Number.POSITIVE_INFINITY
  #max = 0

  /**
   * Record a duration in ms, `times` times (calls that shared one flight); negative, NaN and
   * infinite values are ignored.
   */
  record(ms: number, times = 1): void {
    if (!(ms >= 0 && ms < Number.POSITIVE_INFINITY)) return
    this.#counts[bucketOf(ms)]! += times
    this.#count += times
    this.#sum += ms * times
    if (ms < this.#min) this.#min = ms
    if (ms > this.#max) this.#max = ms
  }

  /** How many values were recorded. */
  get count(): number {
    return this.#count
  }

  /** Add another histogram's counts to this one (for totals across namespaces). */
  merge(other: Histogram): this {
    for (let i = 0; i < this.#counts.length; i++) this.#counts[i]! += other.#counts[i]!
    this.#count += other.#count
    this.#sum += other.#sum
    this.#min = Math.min(this.#min, other.#min)
    this.#max = Math.max(this.#max, other.#max)
    return this
  }

  /** The value below which a fraction `q` (0..1) of the recorded values lie; null when empty. */
  quantile(q: number): number | null {
    if (this.#count === 0) return null
    const rank = Math.min(Math.max(q, 0), 1) * this.#count
    let below = 0
    for (let i = 0; i < this.#counts.length; i++) {
      const inBucket = this.#counts[i]!
      if (inBucket > 0 && below + inBucket >= rank) {
        const lower = i === 0 ? 0 : BOUNDS[i - 1]!
        const upper = i < BOUNDS.length ? BOUNDS[i]! : this.#max
        // Linear within the bucket, clamped to what was actually seen.
        const estimate = lower + ((upper - lower) * (rank - below)) / inBucket
        return Math.min(Math.max(estimate, this.#min), this.#max)
      }
      below += inBucket
    }
    return this.#max
  }

  /** Plain-JSON view. */
  snapshot(): LatencySnapshot {
    const empty = this.#count === 0
    let cumulative = 0
    let next = 0
    const buckets = PUBLISHED_INDEX.map((index) => {
      for (; next <= index; next++) cumulative += this.#counts[next]!
      return cumulative
    })
    return {
      count: this.#count,
      sumMs: round(this.#sum),
      minMs: empty ? null : round(this.#min),
      maxMs: empty ? null : round(this.#max),
      p50: roundOrNull(this.quantile(0.5)),
      p95: roundOrNull(this.quantile(0.95)),
      p99: roundOrNull(this.quantile(0.99)),
      buckets,
    }
  }
}

/** Index of the first bound >= ms (binary search), or the overflow bucket. */
function bucketOf(ms: number): number {
  let low = 0
  let high = BOUNDS.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (BOUNDS[mid]! < ms) low = mid + 1
    else high = mid
  }
  return low
}

function buildBounds(): number[] {
  const bounds: number[] = []
  for (let decade = FIRST_DECADE; decade < LAST_DECADE; decade++) {
    // toPrecision drops binary noise (1.1 * 10^-3 is not 0.0011 in floating point).
    for (const m of MANTISSAS) bounds.push(Number((m * 10 ** decade).toPrecision(6)))
  }
  bounds.push(10 ** LAST_DECADE)
  return bounds
}

/** Round to the microsecond: more digits would be noise. */
function round(ms: number): number {
  return Math.round(ms * 1_000) / 1_000
}

function roundOrNull(ms: number | null): number | null {
  return ms === null ? null : round(ms)
}
