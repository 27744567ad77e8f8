import { createCache as createDedupe } from 'async-cache-dedupe'
import { Redis } from 'ioredis'
import { createCache, type Cache } from '../../src/index.js'
import {
  assertSame,
  bento,
  countRuns,
  rawClient,
  rotate,
  type Bento,
  type RawClient,
} from '../support/clients.js'
import {
  interleave,
  ratioRow,
  kilobyteValue,
  latency,
  summarize,
  throughput,
  type BenchRow,
} from '../support/measure.js'

/**
 * cacheFn hits from Redis (L1 off) against raw node-redis GET + JSON.parse of the same ~1 KB
 * value on the same server, and against BentoCache's L2-only getOrSet; then 64 callers over 64
 * keys, and 64 callers on one key (herdlock and async-cache-dedupe coalesce those in-process).
 */
const KEYS = 64
const TTL = { ttl: '1h' } as const
const RAW = 'node-redis GET + JSON.parse'
const unexpected = (): never => {
  throw new Error('bench: a hit benchmark ran its function')
}

interface Contenders {
  ours: (i: number) => Promise<unknown>
  raw: (i: number) => Promise<unknown>
  bento: (i: number) => Promise<unknown>
}

export async function fnHitBench(url: string): Promise<BenchRow[]> {
  const raw = await rawClient(url)
  const cache = createCache({ redis: url, prefix: 'bench-fn-hit' })
  const runs = countRuns(cache)
  const bentoL2 = bento(url, 'bench-bento-l2', 'l2')
  try {
    const c = await setup(raw, cache, bentoL2)
    const populated = runs()
    const rows = [...(await sequential(c)), ...(await distinct(c)), ...(await oneKey(url, c))]
    if (runs() !== populated) throw new Error(`bench: ${runs() - populated} unexpected fn runs`)
    return rows
  } finally {
    await cache.close()
    await bentoL2.disconnect()
    await raw.close()
  }
}

async function setup(raw: RawClient, cache: Cache, b: Bento): Promise<Contenders> {
  for (let i = 0; i < KEYS; i++) {
    const value = kilobyteValue(i)
    await raw.set(`bench-raw:${i}`, JSON.stringify(value))
    await cache.cacheFn(`hit:${i}`, () => value, TTL)
    await b.cache.getOrSet({ key: `hit:${i}`, factory: () => value, ttl: '1h' })
  }
  const check = await cache.cacheFnResult('hit:0', unexpected, TTL)
  if (check.status !== 'hit' || check.tier !== 'store') throw new Error('bench: not a store hit')
  assertSame('cacheFn', check.value, kilobyteValue(0))
  const c: Contenders = {
    ours: (i) => cache.cacheFn(`hit:${i % KEYS}`, unexpected, TTL),
    raw: async (i) => JSON.parse((await raw.get(`bench-raw:${i % KEYS}`))!) as unknown,
    bento: (i) => b.cache.getOrSet({ key: `hit:${i % KEYS}`, factory: unexpected, ttl: '1h' }),
  }
  assertSame('raw GET', await c.raw(1), kilobyteValue(1))
  assertSame('BentoCache', await c.bento(1), kilobyteValue(1))
  return c
}

/** Sequential latency of one key, ours vs raw vs BentoCache L2, rotated over 20 rounds. */
async function sequential(c: Contenders): Promise<BenchRow[]> {
  const sides = [c.ours, c.raw, c.bento].map((op) => () => latency(() => op(0), 2_000))
  for (const side of sides) await side()
  const [ours, raw, b] = (await rotate(20, sides)).map(summarize)
  const scenario = 'cacheFn Redis hit (1 KB, L1 off)'
  return [
    ratioRow(scenario, 'median µs', ours!.median, raw!.median, RAW, '≤ 1.05x', (r) => r <= 1.05),
    ratioRow(
      scenario,
      'median µs',
      ours!.median,
      b!.median,
      'BentoCache L2 getOrSet',
      '≤ 1x',
      (r) => r <= 1,
    ),
    ratioRow(scenario, 'p99 µs', ours!.p99, raw!.p99, RAW),
    ratioRow(scenario, 'p99 µs', ours!.p99, b!.p99, 'BentoCache L2 getOrSet'),
  ]
}

/** One throughput sample: 64 concurrent callers, 40 000 calls in all. */
function opsPerSecond(op: (i: number) => Promise<unknown>): () => Promise<number[]> {
  return async () => [await throughput(op, 64, 40_000)]
}

/** 64 concurrent callers over 64 distinct keys. */
async function distinct(c: Contenders): Promise<BenchRow[]> {
  const run = opsPerSecond
  await run(c.ours)()
  await run(c.raw)()
  const [ours, raw] = await interleave(4, run(c.ours), run(c.raw))
  const scenario = 'cacheFn hit, concurrency 64, 64 keys'
  return [
    ratioRow(
      scenario,
      'ops/s',
      summarize(ours).median,
      summarize(raw).median,
      RAW,
      '≥ 0.9x',
      (r) => r >= 0.9,
    ),
  ]
}

/** 64 concurrent callers on one key; async-cache-dedupe (ioredis storage) as an extra row. */
async function oneKey(url: string, c: Contenders): Promise<BenchRow[]> {
  const io = new Redis(url)
  const dedupe = createDedupe({
    ttl: 3600,
    storage: { type: 'redis', options: { client: io } },
  }).define('match', (n: number) => Promise.resolve(kilobyteValue(n)))
  try {
    assertSame('async-cache-dedupe', await dedupe.match(0), kilobyteValue(0))
    const sides = [() => c.ours(0), () => c.raw(0), () => dedupe.match(0)].map(opsPerSecond)
    for (const side of sides) await side()
    const [ours, raw, acd] = (await rotate(4, sides)).map((s) => summarize(s).median)
    const scenario = '64 concurrent hits on ONE key'
    return [
      ratioRow(scenario, 'ops/s', ours!, raw!, RAW, '≥ 10x', (r) => r >= 10),
      ratioRow(
        scenario,
        'ops/s',
        ours!,
        acd!,
        `async-cache-dedupe, ${(acd! / raw!).toFixed(1)}x raw`,
      ),
    ]
  } finally {
    io.disconnect()
  }
}
