import type { ChildProcess } from 'node:child_process'
import { nextMessage, startChild, stopChild } from '../support/child.js'
import { rawClient, type RawClient } from '../support/clients.js'
import {
  LIBRARIES,
  LIBRARY_NAMES,
  wallNow,
  type FromWorker,
  type Library,
  type ToWorker,
} from './contenders.js'
import { summarize, type BenchRow } from '../support/measure.js'

/**
 * Stampede across processes: PROCESSES workers, each firing CALLS concurrent calls for one cold
 * key whose function takes FN_MS, all released by one "go". Counts function executions (an INCR
 * in the function) and each caller's latency from go; ROUNDS fresh keys after a warm-up round,
 * the worst reported. herdlock cacheFn against BentoCache (L2 redis driver) and cache-manager 7.
 */
const PROCESSES = 4
const CALLS = 250
const FN_MS = 200
const ROUNDS = 3
const P99_TARGET_MS = FN_MS + 25

interface RoundResult {
  runs: number
  p50: number
  p99: number
  max: number
  lag: number
  errors: string[]
}

export interface StampedeReport {
  rows: BenchRow[]
  notes: string[]
}

export async function stampedeBench(url: string): Promise<StampedeReport> {
  const raw = await rawClient(url)
  const notes: string[] = []
  const worst = {} as Record<Library, RoundResult>
  try {
    for (const library of LIBRARIES) {
      const rounds = await stampede(url, raw, library)
      rounds.forEach((r, i) => notes.push(describe(library, i + 1, r)))
      worst[library] = worstOf(rounds)
    }
  } finally {
    await raw.close()
  }
  const errors = LIBRARIES.flatMap((l) => worst[l].errors.map((e) => `${l}: ${e}`))
  if (errors.length > 0) notes.push(`errors: ${[...new Set(errors)].join('; ')}`)
  return {
    rows: [...rowsAgainst('bentocache', worst), ...rowsAgainst('cache-manager', worst)],
    notes,
  }
}

/** One library: start the workers, a warm-up round, ROUNDS measured rounds, stop the workers. */
async function stampede(url: string, raw: RawClient, library: Library): Promise<RoundResult[]> {
  const workers = Array.from({ length: PROCESSES }, () =>
    startChild('../stampede/worker', [library, url]),
  )
  try {
    await Promise.all(workers.map((w) => nextMessage<FromWorker, 'ready'>(w, 'ready', 60_000)))
    const run = `${library}:${Date.now().toString(36)}`
    await round(workers, raw, `stampede:${run}:warm-up`)
    const results: RoundResult[] = []
    for (let r = 1; r <= ROUNDS; r++)
      results.push(await round(workers, raw, `stampede:${run}:${r}`))
    return results
  } finally {
    await Promise.all(workers.map((w) => stopChild(w, `${library} stampede worker`)))
  }
}

async function round(workers: ChildProcess[], raw: RawClient, key: string): Promise<RoundResult> {
  const counter = `${key}:runs`
  const done = workers.map((w) => nextMessage<FromWorker, 'done'>(w, 'done', 30_000))
  const at = wallNow()
  const go: ToWorker = { type: 'go', key, counter, at, calls: CALLS, fnMs: FN_MS }
  for (const w of workers) w.send(go)
  const reports = await Promise.all(done)
  const latencies = reports.flatMap((r) => r.latencies)
  const { median, p99 } = summarize(latencies)
  return {
    runs: Number((await raw.get(counter)) ?? 0),
    p50: median,
    p99,
    max: Math.max(...latencies),
    lag: Math.max(...reports.map((r) => r.lag)),
    errors: reports.flatMap((r) => r.errors),
  }
}

function worstOf(rounds: readonly RoundResult[]): RoundResult {
  const most = (pick: (r: RoundResult) => number): number => Math.max(...rounds.map(pick))
  return {
    runs: most((r) => r.runs),
    p50: most((r) => r.p50),
    p99: most((r) => r.p99),
    max: most((r) => r.max),
    lag: most((r) => r.lag),
    errors: rounds.flatMap((r) => r.errors),
  }
}

function rowsAgainst(other: Library, worst: Record<Library, RoundResult>): BenchRow[] {
  const ours = worst.herdlock
  const theirs = worst[other]
  const scenario = `stampede ${PROCESSES} proc × ${CALLS} calls, fn ${FN_MS} ms (worst of ${ROUNDS})`
  const row = (
    metric: string,
    a: number,
    b: number,
    target?: string,
    pass?: boolean,
  ): BenchRow => ({
    scenario,
    metric,
    ours: a,
    baseline: b,
    baselineName: LIBRARY_NAMES[other],
    ratio: a / b,
    target,
    pass,
  })
  return [
    row('fn executions', ours.runs, theirs.runs, '= 1', ours.runs === 1),
    row('waiter p50 ms from go', ours.p50, theirs.p50),
    row(
      'waiter p99 ms from go',
      ours.p99,
      theirs.p99,
      `≤ ${P99_TARGET_MS} ms`,
      ours.p99 <= P99_TARGET_MS,
    ),
  ]
}

function describe(library: Library, index: number, r: RoundResult): string {
  const ms = (n: number): string => n.toFixed(1)
  return (
    `- ${LIBRARY_NAMES[library]}, key ${index}: ${r.runs} fn executions, p50 ${ms(r.p50)} ms, ` +
    `p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms, go delivered within ${ms(r.lag)} ms, ` +
    `${r.errors.length} errors`
  )
}
