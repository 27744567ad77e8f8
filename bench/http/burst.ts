import type { ChildProcess } from 'node:child_process'
import { nextMessage } from '../support/child.js'
import type { BurstJob, FromLoad } from './proto.js'
import { summarize, type BenchRow } from '../support/measure.js'

/**
 * Scenario 2, a collapsed miss: one cold key of a route whose handler takes 200 ms, hit by
 * CALLS requests sent at once on warmed keep-alive connections of one server process. Counts
 * handler runs (the server's own counter) and each request's latency from the moment all were
 * sent. herdlock cacheRoute (Redis, L1 off) against apicache in memory; a warm-up round, then
 * ROUNDS rounds on fresh keys, alternating which contender goes first; the worst round counts.
 */
const CALLS = 100
const ROUNDS = 4
const HANDLER_MS = 200
const P99_TARGET_MS = HANDLER_MS + 25

export interface BurstSide {
  readonly label: string
  readonly port: number
  /** Response header that tells how the request was served ('x-cache', 'apicache-store'). */
  readonly header: string
  /** Handler runs so far, by route key. */
  runs(): Promise<Readonly<Record<string, number>>>
}

interface BurstRound {
  runs: number
  p50: number
  p99: number
  max: number
  served: string
  errors: readonly string[]
}

export interface BurstReport {
  rows: BenchRow[]
  notes: string[]
}

export async function burstBench(
  load: ChildProcess,
  ours: BurstSide,
  theirs: BurstSide,
): Promise<BurstReport> {
  const run = Date.now().toString(36)
  const sides = [ours, theirs]
  const results: BurstRound[][] = [[], []]
  const notes: string[] = []
  for (let r = 0; r <= ROUNDS; r++) {
    for (let s = 0; s < sides.length; s++) {
      const index = (r + s) % sides.length
      const side = sides[index]!
      const result = await burst(load, side, `${run}-${r}`)
      if (r === 0) continue // warm-up: JIT for the miss path of both sides
      results[index]!.push(result)
      notes.push(describe(side.label, r, result))
    }
  }
  const [a, b] = [worstOf(results[0]!), worstOf(results[1]!)]
  const scenario = `${CALLS} concurrent requests, one cold key, handler ${HANDLER_MS} ms (worst of ${ROUNDS})`
  const row = (metric: string, x: number, y: number, target?: string, pass?: boolean) =>
    ({
      scenario,
      metric,
      ours: x,
      baseline: y,
      baselineName: theirs.label,
      ratio: x / y,
      target,
      pass,
    }) satisfies BenchRow
  return {
    rows: [
      row('handler runs', a.runs, b.runs, '= 1', a.runs === 1),
      row('p50 ms from send', a.p50, b.p50),
      row('p99 ms from send', a.p99, b.p99, `≤ ${P99_TARGET_MS} ms`, a.p99 <= P99_TARGET_MS),
      row('max ms from send', a.max, b.max),
    ],
    notes,
  }
}

async function burst(load: ChildProcess, side: BurstSide, key: string): Promise<BurstRound> {
  const path = `/slow/${key}`
  const job: BurstJob = {
    type: 'burst',
    port: side.port,
    path,
    warmPath: '/ping',
    count: CALLS,
    header: side.header,
  }
  const done = nextMessage<FromLoad, 'burst'>(load, 'burst', 30_000)
  load.send(job)
  const reply = await done
  const runs = (await side.runs())[`slow:${key}`] ?? 0
  const { median, p99 } = summarize([...reply.latencies])
  const statuses = Object.entries(reply.statuses).map(([status, n]) => `${n}× ${status}`)
  const served = Object.entries(reply.header).map(([value, n]) => `${n}× ${value}`)
  const errors = [...reply.errors]
  if (reply.latencies.length !== CALLS) errors.push(`${reply.latencies.length}/${CALLS} answered`)
  return {
    runs,
    p50: median,
    p99,
    max: Math.max(...reply.latencies),
    served: `status ${statuses.join(', ')}; ${side.header}: ${served.join(', ')}`,
    errors,
  }
}

function worstOf(rounds: readonly BurstRound[]): BurstRound {
  const most = (pick: (r: BurstRound) => number): number => Math.max(...rounds.map(pick))
  return {
    runs: most((r) => r.runs),
    p50: most((r) => r.p50),
    p99: most((r) => r.p99),
    max: most((r) => r.max),
    served: '',
    errors: rounds.flatMap((r) => r.errors),
  }
}

function describe(label: string, round: number, r: BurstRound): string {
  const ms = (n: number): string => n.toFixed(1)
  const errors = r.errors.length === 0 ? '' : `; errors: ${r.errors.join('; ')}`
  return (
    `- ${label}, key ${round}: ${r.runs} handler runs, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, ` +
    `max ${ms(r.max)} ms (${r.served})${errors}`
  )
}
