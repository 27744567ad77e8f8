import type { ChildProcess } from 'node:child_process'
import { nextMessage } from '../support/child.js'
import type { RawClient } from '../support/clients.js'
import {
  CONTENDER_LABELS,
  CONTENDERS,
  LABELS,
  usage,
  type ContenderName,
  type FromLoad,
  type LoadJob,
  type Server,
} from './proto.js'
import { printRows, summarize, type BenchRow } from '../support/measure.js'

/**
 * Scenario 1 of the HTTP benchmark, one server at a time: ROUNDS rounds run every contender
 * once (GROUPS back to back, in reverse order every other round) for the table of absolute
 * figures. Hits are verified by the server's handler counter and, where the library labels
 * them, by a header.
 */

/** How the rounds run (from http.bench.ts). */
export interface RoundOptions {
  readonly rounds: number
  readonly seconds: number
  readonly connections: number
  readonly warmMs: number
}

/** Contenders compared by a target run back to back: herdlock sits between its two baselines. */
const GROUPS: readonly (readonly ContenderName[])[] = [
  ['plain', 'herdlock', 'apicache-redis', 'herdlock-shared'],
  ['herdlock-l1', 'apicache-memory'],
  ['floor', 'express-redis-cache'],
]
if (
  GROUPS.flat().length !== CONTENDERS.length ||
  CONTENDERS.some((c) => !GROUPS.flat().includes(c))
)
  throw new Error('bench: GROUPS must hold every contender once')

interface Round {
  rps: number
  p50: number
  p99: number
  /** Server CPU and Redis CPU per request, µs. */
  serverUs: number
  redisUs: number
  loadCpu: number
  ok: boolean
}

async function redisCpuUs(raw: RawClient): Promise<number> {
  const info = await raw.info('cpu')
  const field = (name: string): number =>
    Number(new RegExp(`\\b${name}:([\\d.]+)`).exec(info)?.[1] ?? 0)
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6
}

function loadJob(server: Server, durationMs: number, connections: number): LoadJob {
  const { header } = LABELS[server.name]
  return {
    type: 'load',
    port: server.port,
    path: '/hit',
    connections,
    durationMs,
    header,
  }
}

async function runLoad(
  raw: RawClient,
  load: ChildProcess,
  server: Server,
  o: RoundOptions,
): Promise<Round> {
  const before = await usage(server)
  const redisBefore = await redisCpuUs(raw)
  const done = nextMessage<FromLoad, 'loaded'>(load, 'loaded', o.seconds * 1000 + 30_000)
  load.send(loadJob(server, o.seconds * 1000, o.connections))
  const r = await done
  const redisUs = (await redisCpuUs(raw)) - redisBefore
  const after = await usage(server)
  const { hit } = LABELS[server.name]
  const hitRuns = (after.runs['hit'] ?? 0) - (before.runs['hit'] ?? 0)
  const labelled = hit === undefined || r.header[hit] === r.requests
  const ok =
    r.errors.length === 0 &&
    r.statuses['200'] === r.requests &&
    labelled &&
    (server.name === 'plain' || server.name === 'floor' || hitRuns === 0)
  if (!ok) console.error(`bench: ${server.name} round not all hits`, r, { hitRuns })
  return {
    rps: r.requests / r.seconds,
    p50: r.p50,
    p99: r.p99,
    serverUs: (after.cpuUs - before.cpuUs) / r.requests,
    redisUs: redisUs / r.requests,
    loadCpu: r.cpuShare,
    ok,
  }
}

export async function throughputBench(
  raw: RawClient,
  load: ChildProcess,
  servers: Server[],
  o: RoundOptions,
): Promise<void> {
  for (const server of servers) {
    // Store the entry with one request, then warm both processes up (JIT) on hits.
    const stored = nextMessage<FromLoad, 'burst'>(load, 'burst', 30_000)
    load.send({
      type: 'burst',
      port: server.port,
      path: '/hit',
      warmPath: '/ping',
      count: 1,
      header: 'x-cache',
    })
    await stored
    const warmed = nextMessage<FromLoad, 'loaded'>(load, 'loaded', o.warmMs + 30_000)
    load.send(loadJob(server, o.warmMs, o.connections))
    await warmed
  }
  const rounds = new Map<ContenderName, Round[]>(CONTENDERS.map((name) => [name, []]))
  for (let r = 0; r < o.rounds; r++) {
    for (let g = 0; g < GROUPS.length; g++) {
      const group = GROUPS[(r + g) % GROUPS.length]!
      for (const name of r % 2 === 0 ? group : [...group].reverse()) {
        const server = servers.find((s) => s.name === name)!
        rounds.get(name)!.push(await runLoad(raw, load, server, o))
      }
    }
  }
  const med = (name: ContenderName, pick: (round: Round) => number): number =>
    summarize(rounds.get(name)!.map(pick)).median
  const rps = (name: ContenderName): number => med(name, (x) => x.rps)
  const perRound = (a: ContenderName, b: ContenderName): number[] =>
    rounds.get(a)!.map((x, i) => x.rps / rounds.get(b)![i]!.rps)
  const scenario = `route hit, 1 KB JSON, ${o.connections} conns, ${o.rounds} rounds × ${o.seconds} s`
  const row = (
    ours: ContenderName,
    base: ContenderName,
    target?: string,
    min?: number,
  ): BenchRow => {
    const ratio = summarize(perRound(ours, base)).median
    return {
      scenario: `${scenario}: ${CONTENDER_LABELS[ours]}`,
      metric: 'req/s (ratio: median of per-round ratios)',
      ours: rps(ours),
      baseline: rps(base),
      baselineName: CONTENDER_LABELS[base],
      ratio,
      target,
      pass: min === undefined ? undefined : ratio >= min,
    }
  }
  printRows('cacheRoute over HTTP: hit throughput, one server at a time (scenario 1)', [
    row('herdlock', 'plain'),
    row('herdlock', 'apicache-redis'),
    row('herdlock-l1', 'apicache-memory'),
    row('herdlock', 'express-redis-cache'),
    row('herdlock-l1', 'plain'),
    row('floor', 'plain'),
    row('herdlock-shared', 'herdlock'),
  ])
  console.log(
    `\nPer contender (medians over rounds; CPU per request excludes the kernel's share):\n`,
  )
  console.log(
    '| contender | req/s | vs plain | min–max req/s | p50 ms | p99 ms | server CPU µs/req | Redis CPU µs/req | load gen CPU | all hits verified |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|---|')
  for (const name of CONTENDERS) {
    const all = rounds.get(name)!
    const range = `${Math.min(...all.map((x) => x.rps)).toFixed(0)}–${Math.max(...all.map((x) => x.rps)).toFixed(0)}`
    const verified =
      name === 'plain' || name === 'floor' ? 'n/a' : all.every((x) => x.ok) ? 'yes' : 'NO'
    console.log(
      `| ${CONTENDER_LABELS[name]} | ${rps(name).toFixed(0)} | ${(rps(name) / rps('plain')).toFixed(2)}x | ${range} | ` +
        `${med(name, (x) => x.p50).toFixed(2)} | ${med(name, (x) => x.p99).toFixed(2)} | ` +
        `${med(name, (x) => x.serverUs).toFixed(1)} | ${med(name, (x) => x.redisUs).toFixed(1)} | ` +
        `${(100 * med(name, (x) => x.loadCpu)).toFixed(0)}% | ${verified} |`,
    )
  }
  const list = (a: ContenderName, b: ContenderName): string =>
    perRound(a, b)
      .map((ratio) => ratio.toFixed(2))
      .join(', ')
  console.log(
    `\nPer-round ratios: herdlock/plain ${list('herdlock', 'plain')}; ` +
      `herdlock/apicache Redis ${list('herdlock', 'apicache-redis')}; ` +
      `herdlock L1/apicache memory ${list('herdlock-l1', 'apicache-memory')}; ` +
      `floor/plain ${list('floor', 'plain')}`,
  )
}
