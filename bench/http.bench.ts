import type { ChildProcess } from 'node:child_process'
import { burstBench } from './http-burst.js'
import {
  CONTENDER_LABELS,
  CONTENDERS,
  type ContenderName,
  type FromLoad,
  type FromServer,
  type LoadJob,
} from './http-proto.js'
import { nextMessage, startChild, stopChild } from './child.js'
import { rawClient, type RawClient } from './fn-support.js'
import { printRows, summarize, type BenchRow } from './support.js'

/**
 * The route cache over HTTP. Every contender is an Express 5 app in its own process, loaded by
 * a generator in another process (CONNECTIONS keep-alive connections, one request in flight on
 * each, SECONDS per run). After a warm-up that stores the entry, ROUNDS rounds run every
 * contender once. The machine's speed drifts a lot from second to second (a shared VM), so the
 * contenders a target compares run back to back in each round (GROUPS, in reverse order every
 * other round), and a target's ratio is the median of the per-round ratios of the pair; the
 * table also gives the medians of each contender. A hit is verified by the server's handler
 * counter (no run during the rounds) and, where the library labels it, by a header.
 * Then the collapsed-miss burst (./http-burst.ts). BENCH_HTTP_ROUNDS, BENCH_HTTP_SECONDS and
 * BENCH_HTTP_CONNECTIONS override the defaults.
 */
const ROUNDS = Number(process.env['BENCH_HTTP_ROUNDS'] ?? 9)
const SECONDS = Number(process.env['BENCH_HTTP_SECONDS'] ?? 1.5)
const CONNECTIONS = Number(process.env['BENCH_HTTP_CONNECTIONS'] ?? 32)
const WARM_MS = 1_500

/** Contenders compared by a target run back to back: herdlock sits between its two baselines. */
const GROUPS: readonly (readonly ContenderName[])[] = [
  ['plain', 'herdlock', 'apicache-redis'],
  ['herdlock-l1', 'apicache-memory'],
  ['floor', 'express-redis-cache'],
]
if (
  GROUPS.flat().length !== CONTENDERS.length ||
  CONTENDERS.some((c) => !GROUPS.flat().includes(c))
)
  throw new Error('bench: GROUPS must hold every contender once')

/** The header each contender labels its hits with, and the value a hit carries. */
const LABELS: Record<ContenderName, { header: string; hit: string | undefined }> = {
  plain: { header: 'x-cache', hit: undefined },
  floor: { header: 'x-cache', hit: undefined },
  herdlock: { header: 'x-cache', hit: 'HIT' },
  'herdlock-l1': { header: 'x-cache', hit: 'HIT' },
  'apicache-redis': { header: 'apicache-store', hit: 'redis' },
  'apicache-memory': { header: 'apicache-store', hit: 'memory' },
  'express-redis-cache': { header: 'x-cache', hit: undefined }, // no label: the counter proves it
}

interface Server {
  readonly name: ContenderName
  readonly child: ChildProcess
  port: number
}

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

export async function printHttpBench(url: string): Promise<void> {
  const raw = await rawClient(url)
  const load = startChild('http-load', [])
  const servers: Server[] = CONTENDERS.map((name) => ({
    name,
    child: startChild('http-server', [name, url]),
    port: 0,
  }))
  try {
    await nextMessage<FromLoad, 'ready'>(load, 'ready', 60_000)
    for (const s of servers)
      s.port = (await nextMessage<FromServer, 'ready'>(s.child, 'ready', 60_000)).port
    await throughputBench(raw, load, servers)
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
      ...servers.map((s) => stopChild(s.child, `${s.name} server`)),
    ])
    await raw.close()
    const all = clean.every(Boolean)
    console.log(
      `\nHTTP bench processes (${clean.length}) exited by themselves: ${all ? 'yes' : 'NO'}`,
    )
  }
}

const usage = (server: Server) => {
  const reply = nextMessage<FromServer, 'usage'>(server.child, 'usage', 10_000)
  server.child.send({ type: 'usage' })
  return reply
}

async function redisCpuUs(raw: RawClient): Promise<number> {
  const info = await raw.info('cpu')
  const field = (name: string): number =>
    Number(new RegExp(`\\b${name}:([\\d.]+)`).exec(info)?.[1] ?? 0)
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6
}

function loadJob(server: Server, durationMs: number): LoadJob {
  const { header } = LABELS[server.name]
  return {
    type: 'load',
    port: server.port,
    path: '/hit',
    connections: CONNECTIONS,
    durationMs,
    header,
  }
}

async function runLoad(raw: RawClient, load: ChildProcess, server: Server): Promise<Round> {
  const before = await usage(server)
  const redisBefore = await redisCpuUs(raw)
  const done = nextMessage<FromLoad, 'loaded'>(load, 'loaded', SECONDS * 1000 + 30_000)
  load.send(loadJob(server, SECONDS * 1000))
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

async function throughputBench(
  raw: RawClient,
  load: ChildProcess,
  servers: Server[],
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
    const warmed = nextMessage<FromLoad, 'loaded'>(load, 'loaded', WARM_MS + 30_000)
    load.send(loadJob(server, WARM_MS))
    await warmed
  }
  const rounds = new Map<ContenderName, Round[]>(CONTENDERS.map((name) => [name, []]))
  for (let r = 0; r < ROUNDS; r++) {
    for (let g = 0; g < GROUPS.length; g++) {
      const group = GROUPS[(r + g) % GROUPS.length]!
      for (const name of r % 2 === 0 ? group : [...group].reverse()) {
        const server = servers.find((s) => s.name === name)!
        rounds.get(name)!.push(await runLoad(raw, load, server))
      }
    }
  }
  const med = (name: ContenderName, pick: (round: Round) => number): number =>
    summarize(rounds.get(name)!.map(pick)).median
  const rps = (name: ContenderName): number => med(name, (x) => x.rps)
  const perRound = (a: ContenderName, b: ContenderName): number[] =>
    rounds.get(a)!.map((x, i) => x.rps / rounds.get(b)![i]!.rps)
  const scenario = `route hit, 1 KB JSON, ${CONNECTIONS} conns, ${ROUNDS} rounds × ${SECONDS} s`
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
  printRows('cacheRoute over HTTP: hit throughput (scenario 1)', [
    row('herdlock', 'plain', '≥ 1.3x', 1.3),
    row('herdlock', 'apicache-redis', '≥ 1x', 1),
    row('herdlock-l1', 'apicache-memory', '≥ 1x', 1),
    row('herdlock', 'express-redis-cache'),
    row('herdlock-l1', 'plain'),
    row('floor', 'plain'),
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
