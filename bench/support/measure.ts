/** Timing, statistics and printing shared by the benchmark scripts. */

/** Percentile of sorted samples (0..1). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  return sorted[index]!
}

export interface LatencySummary {
  median: number
  p99: number
  samples: number
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b)
  return { median: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), samples: sorted.length }
}

/** Sequential latency in µs of `op`, over `iterations` calls. */
export async function latency(op: () => Promise<unknown>, iterations: number): Promise<number[]> {
  const samples: number[] = []
  for (let i = 0; i < iterations; i++) {
    const t = process.hrtime.bigint()
    await op()
    samples.push(Number(process.hrtime.bigint() - t) / 1_000)
  }
  return samples
}

/** Operations per second with `concurrency` callers looping for `totalOps` calls in all. */
export async function throughput(
  op: (i: number) => Promise<unknown>,
  concurrency: number,
  totalOps: number,
): Promise<number> {
  let next = 0
  const started = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < totalOps) {
        const i = next++
        await op(i)
      }
    }),
  )
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return totalOps / seconds
}

/**
 * Alternate A and B over several rounds so that drift (CPU frequency, GC, the other core)
 * hits both sides alike; returns all samples of each side.
 */
export async function interleave<T>(
  rounds: number,
  a: () => Promise<T[]>,
  b: () => Promise<T[]>,
): Promise<[T[], T[]]> {
  const all: [T[], T[]] = [[], []]
  for (let r = 0; r < rounds; r++) {
    const first = r % 2 === 0
    const x = await (first ? a : b)()
    const y = await (first ? b : a)()
    all[first ? 0 : 1].push(...x)
    all[first ? 1 : 0].push(...y)
  }
  return all
}

/** One printed result: our figure against a baseline measured in the same run. */
export interface BenchRow {
  scenario: string
  metric: string
  ours: number
  baseline: number
  baselineName: string
  /** ours / baseline (for latency: lower is better; for throughput: higher is better). */
  ratio: number
  target?: string
  pass?: boolean
}

export function printRows(title: string, rows: readonly BenchRow[]): void {
  console.log(`\n## ${title}\n`)
  console.log('| scenario | metric | herdlock | baseline | ratio | target |')
  console.log('|---|---|---|---|---|---|')
  for (const r of rows) {
    const verdict = r.pass === undefined ? '' : r.pass ? ' ✔' : ' ✘'
    console.log(
      `| ${r.scenario} | ${r.metric} | ${fmt(r.ours)} | ${fmt(r.baseline)} (${r.baselineName}) | ${Number.isFinite(r.ratio) ? `${r.ratio.toFixed(3)}x` : 'n/a'} | ${r.target ?? ''}${verdict} |`,
    )
  }
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1)
}

/** A ~1 KB JSON-able value, the same shape for every contender. */
export function kilobyteValue(i = 0): Record<string, unknown> {
  return {
    id: i,
    home: 'Arsenal',
    away: 'Tottenham Hotspur',
    kickoff: '2026-11-28T15:00:00.000Z',
    odds: { home: 1.85, draw: 3.6, away: 4.2 },
    lineups: Array.from({ length: 11 }, (_, n) => ({
      name: `Player ${n}`,
      number: n + 1,
      position: 'MF',
    })),
    notes: 'x'.repeat(180),
  }
}

/** A result row: ratio = ours / baseline; `check` decides the target from the ratio. */
export function ratioRow(
  scenario: string,
  metric: string,
  ours: number,
  baseline: number,
  baselineName: string,
  target?: string,
  check?: (ratio: number) => boolean,
): BenchRow {
  const ratio = ours / baseline
  return { scenario, metric, ours, baseline, baselineName, ratio, target, pass: check?.(ratio) }
}
