import { expect } from 'chai'
import {
  FINE_BOUNDS_MS,
  Histogram,
  PUBLISHED_BOUNDS_MS,
} from '../../src/observe/stats/histogram.js'

/** Exact quantile of sorted samples (nearest rank), the reference the estimate is held to. */
function exact(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** A deterministic pseudo-random generator (mulberry32), so failures can be replayed. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Log-normal latencies around `medianMs`: the shape real latencies have (long right tail). */
function logNormal(next: () => number, medianMs: number, sigma: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
  return medianMs * Math.exp(sigma * z)
}

describe('Histogram (fixed buckets)', () => {
  it('stays the same size after a million distinct values, within 7% on p50/p95/p99', () => {
    const histogram = new Histogram()
    const next = random(42)
    const samples = new Float64Array(1_000_000)
    for (let i = 0; i < samples.length; i++) {
      samples[i] = logNormal(next, 0.4, 1.2)
      histogram.record(samples[i]!)
    }
    samples.sort()
    const snapshot = histogram.snapshot()
    expect(snapshot.count).to.equal(1_000_000)
    expect(snapshot.buckets.length).to.equal(PUBLISHED_BOUNDS_MS.length)
    expect(JSON.stringify(snapshot).length).to.be.below(600)
    for (const [q, estimate] of [
      [0.5, snapshot.p50],
      [0.95, snapshot.p95],
      [0.99, snapshot.p99],
    ] as const) {
      const truth = exact(samples, q)
      expect(Math.abs(estimate! - truth) / truth, `p${q * 100}`).to.be.below(0.07)
    }
    expect(snapshot.minMs).to.equal(Math.round(samples[0]! * 1_000) / 1_000)
    expect(snapshot.maxMs).to.equal(Math.round(samples.at(-1)! * 1_000) / 1_000)
  })

  it('publishes cumulative buckets that are exact counts at each bound', () => {
    const histogram = new Histogram()
    const values = [0.01, 0.05, 0.0501, 0.3, 1, 1, 2.5, 7, 99, 10_000, 10_001, 250_000]
    for (const v of values) histogram.record(v)
    const { buckets, count, sumMs } = histogram.snapshot()
    PUBLISHED_BOUNDS_MS.forEach((bound, i) => {
      expect(buckets[i], `le ${bound}`).to.equal(values.filter((v) => v <= bound).length)
    })
    expect(count).to.equal(values.length)
    expect(sumMs).to.equal(Math.round(values.reduce((a, b) => a + b) * 1_000) / 1_000)
  })

  it('uses fine buckets no wider than 15%, covering 1 µs to 100 s, and publishes a subset', () => {
    for (let i = 1; i < FINE_BOUNDS_MS.length; i++) {
      expect(FINE_BOUNDS_MS[i]! / FINE_BOUNDS_MS[i - 1]!).to.be.within(1.05, 1.15)
    }
    expect(FINE_BOUNDS_MS[0]).to.equal(0.001)
    expect(FINE_BOUNDS_MS.at(-1)).to.equal(100_000)
    for (const bound of PUBLISHED_BOUNDS_MS) expect(FINE_BOUNDS_MS).to.include(bound)
  })

  it('reports nulls before anything is recorded, and ignores unusable values', () => {
    const histogram = new Histogram()
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) histogram.record(bad)
    const snapshot = histogram.snapshot()
    expect(snapshot).to.include({ count: 0, sumMs: 0, minMs: null, maxMs: null, p50: null })
    expect(snapshot.buckets.every((n) => n === 0)).to.equal(true)
  })

  it('answers the value itself for a single sample, and the maximum beyond 100 s', () => {
    const one = new Histogram()
    one.record(3.3)
    expect(one.snapshot()).to.include({ p50: 3.3, p99: 3.3, minMs: 3.3, maxMs: 3.3 })
    const slow = new Histogram()
    slow.record(150_000)
    slow.record(400_000)
    expect(slow.quantile(0.99)).to.be.within(150_000, 400_000)
    expect(slow.quantile(1)).to.equal(400_000)
  })

  it('merges: the merge of two histograms equals one that recorded both', () => {
    const [a, b, both] = [new Histogram(), new Histogram(), new Histogram()]
    const next = random(7)
    for (let i = 0; i < 10_000; i++) {
      const v = logNormal(next, 2, 1)
      ;(i % 3 === 0 ? a : b).record(v)
      both.record(v)
    }
    const merged = new Histogram().merge(a).merge(b).snapshot()
    const reference = both.snapshot()
    expect({ ...merged, sumMs: 0 }).to.deep.equal({ ...reference, sumMs: 0 })
    expect(merged.sumMs).to.be.closeTo(reference.sumMs, 0.01)
  })
})
