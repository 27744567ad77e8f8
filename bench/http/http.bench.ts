import type { ChildProcess } from 'node:child_process'
import { nextMessage, startChild, stopChild } from '../support/child.js'
import { rawClient } from '../support/clients.js'
import { burstBench } from './burst.js'
import { pairedBench, type PairSide, type PairTarget } from './paired.js'
import {
  CONTENDER_LABELS,
  CONTENDERS,
  LABELS,
  usage,
  type ContenderName,
  type FromLoad,
  type FromServer,
  type Server,
} from './proto.js'
import { throughputBench } from './rounds.js'
import { printRows } from '../support/measure.js'

/**
 * The route cache over HTTP. Every contender is an Express 5 app in its own process, loaded by
 * generators in other processes (keep-alive connections, one request in flight on each).
 * Scenario 1 first runs every server alone, round after round (./rounds.ts): absolute
 * figures. The machine's speed drifts by tens of percent from one second to the next (a shared
 * VM), so the targets are then measured on pairs loaded at the same time (./paired.ts).
 * Scenario 2 is the collapsed-miss burst (./burst.ts). BENCH_HTTP_ROUNDS,
 * BENCH_HTTP_PAIRED_RUNS, BENCH_HTTP_SECONDS and BENCH_HTTP_CONNECTIONS override the defaults.
 */
const ROUNDS = Number(process.env['BENCH_HTTP_ROUNDS'] ?? 9)
const SECONDS = Number(process.env['BENCH_HTTP_SECONDS'] ?? 1.5)
const CONNECTIONS = Number(process.env['BENCH_HTTP_CONNECTIONS'] ?? 32)
const WARM_MS = 1_500
const PAIRED_RUNS = Number(process.env['BENCH_HTTP_PAIRED_RUNS'] ?? 8)

export async function printHttpBench(url: string): Promise<void> {
  const raw = await rawClient(url)
  const load = startChild('../http/load', [])
  const load2 = startChild('../http/load', [])
  const servers: Server[] = CONTENDERS.map((name) => ({
    name,
    child: startChild('../http/server', [name, url]),
    port: 0,
  }))
  try {
    await nextMessage<FromLoad, 'ready'>(load, 'ready', 60_000)
    await nextMessage<FromLoad, 'ready'>(load2, 'ready', 60_000)
    for (const s of servers)
      s.port = (await nextMessage<FromServer, 'ready'>(s.child, 'ready', 60_000)).port
    await throughputBench(raw, load, servers, {
      rounds: ROUNDS,
      seconds: SECONDS,
      connections: CONNECTIONS,
      warmMs: WARM_MS,
    })
    await pairedTargets([load, load2], servers)
    const side = (name: 'herdlock' | 'apicache-memory') => {
      const server = servers.find((s) => s.name === name)!
      return {
        label: CONTENDER_LABELS[name],
        port: server.port,
        header: LABELS[name].header,
        runs: async () => (await usage(server)).runs,
      }
    }
    const burst = await burstBench(load, side('herdlock'), side('apicache-memory'))
    printRows('cacheRoute over HTTP: collapsed miss (scenario 2)', burst.rows)
    console.log(`\nPer key (latency from the moment all requests were sent):\n`)
    for (const note of burst.notes) console.log(note)
  } finally {
    const clean = await Promise.all([
      stopChild(load, 'load generator'),
      stopChild(load2, 'second load generator'),
      ...servers.map((s) => stopChild(s.child, `${s.name} server`)),
    ])
    await raw.close()
    const all = clean.every(Boolean)
    console.log(
      `\nHTTP bench processes (${clean.length}) exited by themselves: ${all ? 'yes' : 'NO'}`,
    )
  }
}

/** The targets, measured in pairs loaded at the same time (./paired.ts). */
function pairedTargets(loads: [ChildProcess, ChildProcess], servers: Server[]): Promise<void> {
  const side = (name: ContenderName): PairSide => {
    const server = servers.find((s) => s.name === name)!
    return {
      label: CONTENDER_LABELS[name],
      port: server.port,
      header: LABELS[name].header,
      hit: LABELS[name].hit,
      runsHandler: name === 'plain' || name === 'floor',
      usage: () => usage(server),
    }
  }
  const pairs: PairTarget[] = [
    { a: side('herdlock'), b: side('plain'), target: '≥ 1.3x', min: 1.3 },
    { a: side('herdlock'), b: side('apicache-redis'), target: '≥ 1x', min: 1 },
    { a: side('herdlock-l1'), b: side('apicache-memory'), target: '≥ 1x', min: 1 },
    { a: side('herdlock-l1'), b: side('plain') },
    // Issue 13: the hit path of shared mode costs what the default mode's does.
    { a: side('herdlock-shared'), b: side('herdlock'), target: '≥ 0.95x', min: 0.95 },
    { a: side('floor'), b: side('plain') },
  ]
  return pairedBench(loads, pairs, {
    runs: PAIRED_RUNS,
    seconds: SECONDS,
    connections: CONNECTIONS,
  })
}
