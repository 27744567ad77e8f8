import type { ChildProcess } from 'node:child_process'
import { nextMessage } from '../support/child.js'
import type { FromLoad, FromServer } from './proto.js'
import { printRows, summarize, type BenchRow } from '../support/measure.js'

/**
 * Paired throughput: two servers loaded at the same time, each by its own load generator with
 * half the connections. On a shared VM the machine's speed drifts by tens of percent from one
 * second to the next, so runs one after the other compare different machines; loaded together,
 * both servers share the same machine at the same moment. Over short runs the scheduler does
 * not share the two cores fairly between four busy processes, so besides the ratio of their
 * throughputs each run gives the inverse ratio of their CPU time per request: the capacity of
 * each server per core, measured under the same conditions. The generators swap sides every
 * run, so neither side keeps the faster one.
 */

/** One server of a pair, as the HTTP benchmark knows it. */
export interface PairSide {
  readonly label: string
  readonly port: number
  /** Response header that labels a hit, and its value (undefined: no label to check). */
  readonly header: string
  readonly hit: string | undefined
  /** Whether the contender's handler may run (the uncached baseline). */
  readonly runsHandler: boolean
  usage(): Promise<Extract<FromServer, { type: 'usage' }>>
}

interface PairedResult {
  /** a's req/s divided by b's, per run. */
  readonly ratios: number[]
  /** b's CPU time per request divided by a's, per run: a's capacity per core relative to b's. */
  readonly capacity: number[]
  /** Every reply of both sides was a verified 200 (a hit, for caches). */
  readonly ok: boolean
}

/** A pair to compare, and the target on a's capacity relative to b's. */
export interface PairTarget {
  readonly a: PairSide
  readonly b: PairSide
  readonly target?: string
  readonly min?: number
}

export interface PairedOptions {
  readonly runs: number
  readonly seconds: number
  /** Connections in all, split between the two servers. */
  readonly connections: number
}

/**
 * Measure each pair and print one table: the target decides on capacity per core (the median
 * over runs of the inverse ratio of CPU time per request); throughput ratios are printed too.
 */
export async function pairedBench(
  loads: readonly [ChildProcess, ChildProcess],
  pairs: readonly PairTarget[],
  options: PairedOptions,
): Promise<void> {
  const scenario = `route hit, 1 KB JSON, both loaded at once (${options.connections / 2} conns each), ${options.runs} runs × ${options.seconds} s`
  const rows: BenchRow[] = []
  const notes: string[] = []
  for (const { a, b, target, min } of pairs) {
    const result = await pairedRatios(loads, a, b, options)
    const capacity = summarize(result.capacity).median
    const throughput = summarize(result.ratios).median
    const verified = result.ok ? '' : ' (NOT all verified)'
    rows.push(
      {
        scenario: `${scenario}: ${a.label}${verified}`,
        metric: 'capacity per core (1 / CPU per request), median ratio',
        ours: capacity,
        baseline: 1,
        baselineName: b.label,
        ratio: capacity,
        target,
        pass: min === undefined ? undefined : result.ok && capacity >= min,
      },
      {
        scenario: `${scenario}: ${a.label}${verified}`,
        metric: 'req/s, median ratio',
        ours: throughput,
        baseline: 1,
        baselineName: b.label,
        ratio: throughput,
      },
    )
    const list = (values: number[]): string => values.map((v) => v.toFixed(2)).join(', ')
    notes.push(
      `- ${a.label} / ${b.label}: capacity ${list(result.capacity)}; req/s ${list(result.ratios)}`,
    )
  }
  printRows('cacheRoute over HTTP: hit throughput, pairs loaded together (targets)', rows)
  console.log(`\nPer run (each run loads both servers at once; ratio of a to b):\n`)
  for (const note of notes) console.log(note)
}

async function pairedRatios(
  loads: readonly [ChildProcess, ChildProcess],
  a: PairSide,
  b: PairSide,
  options: PairedOptions,
): Promise<PairedResult> {
  const ratios: number[] = []
  const capacity: number[] = []
  let ok = true
  for (let run = 0; run < options.runs; run++) {
    const [forA, forB] = run % 2 === 0 ? loads : [loads[1], loads[0]]
    const [ra, rb] = await Promise.all([measure(forA, a, options), measure(forB, b, options)])
    ok &&= ra.ok && rb.ok
    ratios.push(ra.rps / rb.rps)
    capacity.push(rb.cpuUsPerRequest / ra.cpuUsPerRequest)
  }
  return { ratios, capacity, ok }
}

async function measure(
  load: ChildProcess,
  side: PairSide,
  options: { readonly seconds: number; readonly connections: number },
): Promise<{ rps: number; cpuUsPerRequest: number; ok: boolean }> {
  const before = await side.usage()
  const done = nextMessage<FromLoad, 'loaded'>(load, 'loaded', options.seconds * 1000 + 30_000)
  load.send({
    type: 'load',
    port: side.port,
    path: '/hit',
    connections: Math.max(1, Math.floor(options.connections / 2)),
    durationMs: options.seconds * 1000,
    header: side.header,
  })
  const r = await done
  const after = await side.usage()
  const handlerRuns = (after.runs['hit'] ?? 0) - (before.runs['hit'] ?? 0)
  const ok =
    r.errors.length === 0 &&
    r.statuses['200'] === r.requests &&
    (side.hit === undefined || r.header[side.hit] === r.requests) &&
    (side.runsHandler || handlerRuns === 0)
  if (!ok) console.error(`bench: paired run of ${side.label} not all hits`, r, { handlerRuns })
  return {
    rps: r.requests / r.seconds,
    cpuUsPerRequest: (after.cpuUs - before.cpuUs) / r.requests,
    ok,
  }
}
