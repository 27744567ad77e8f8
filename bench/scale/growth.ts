import type { BenchRow } from '../support/measure.js'

/**
 * Curves over sizes: each scale scenario is measured at several sizes, ours and a baseline from
 * the same run, and summed up by its growth exponent: the slope of log(value) over log(size)
 * between the smallest and the largest size. 1.00 is linear (ten times the work, ten times the
 * cost), 0 flat (a bounded cost), 2 quadratic.
 */

/** One measured point of a curve. */
export interface Point {
  readonly size: number
  readonly value: number
}

/** A curve of ours against its baseline, with the rows it printed. */
export interface Curve {
  readonly name: string
  /** What the size counts (entries, keys, callers). */
  readonly unit: string
  readonly ours: Point[]
  readonly baseline: Point[]
  readonly baselineName: string
  readonly rows: BenchRow[]
}

/**
 * The growth exponent of a curve between two of its points (default: the smallest and largest
 * size); NaN with fewer than two sizes or a value that is not positive (below the noise floor).
 */
export function exponent(points: readonly Point[], from = 0, to = points.length - 1): number {
  const first = points[from]
  const last = points[to]
  if (first === undefined || last === undefined || last.size === first.size) return Number.NaN
  if (!(first.value > 0 && last.value > 0)) return Number.NaN
  return Math.log(last.value / first.value) / Math.log(last.size / first.size)
}

/** The exponent over the last step only (the two largest sizes): where growth flattens. */
const lastStep = (points: readonly Point[]): number =>
  exponent(points, points.length - 2, points.length - 1)

/** Scale every size by BENCH_SCALE_FACTOR (0.1 for a quick run; default 1). */
function factor(): number {
  const given = Number(process.env['BENCH_SCALE_FACTOR'] ?? '1')
  return Number.isFinite(given) && given > 0 ? given : 1
}

/** The sizes of a curve: `fallback` times BENCH_SCALE_FACTOR, or `override` when it is set. */
export function sizes(fallback: readonly number[], override?: string): number[] {
  const given = override === undefined ? undefined : process.env[override]
  if (given !== undefined && given !== '') return given.split(',').map(Number)
  return fallback.map((size) => Math.max(1, Math.round(size * factor())))
}

const show = (n: number): string => (Number.isNaN(n) ? 'n/a' : n.toFixed(2))

/** The table of every curve's exponents, Markdown like the rows. */
export function printExponents(curves: readonly Curve[]): void {
  console.log('\n## Growth exponents (slope of log cost over log size; 1.00 = linear)\n')
  console.log('| curve | sizes | herdlock (last step) | baseline (last step) |')
  console.log('|---|---|---|---|')
  for (const c of curves) {
    const range = `${c.ours.map((p) => p.size).join(' / ')} ${c.unit}`
    const both = (p: readonly Point[]): string => `${show(exponent(p))} (${show(lastStep(p))})`
    const base = `${both(c.baseline)}, ${c.baselineName}`
    console.log(`| ${c.name} | ${range} | ${both(c.ours)} | ${base} |`)
  }
}
