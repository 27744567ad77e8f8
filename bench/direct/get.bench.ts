import { createClient } from 'redis'
import { createCache } from '../../src/index.js'
import {
  interleave,
  kilobyteValue,
  latency,
  ratioRow,
  summarize,
  throughput,
  type BenchRow,
} from '../support/measure.js'

/**
 * Issue 2 figures: the cache's direct `get` against raw node-redis GET + JSON.parse of the same
 * ~1 KB value on the same server, and `getMany` against sequential gets.
 */
export async function storeBench(url: string): Promise<BenchRow[]> {
  const raw = createClient({ url })
  raw.on('error', () => undefined)
  await raw.connect()
  const cache = createCache({ redis: url, prefix: 'bench-store' })
  const value = kilobyteValue()
  await raw.set('bench-raw', JSON.stringify(value))
  await cache.set('hit', value, { ttl: '1h' })
  const keys = Array.from({ length: 100 }, (_, i) => `many:${i}`)
  await cache.setMany(
    keys.map((key, i) => ({ key, value: kilobyteValue(i) })),
    { ttl: '1h' },
  )
  if (JSON.stringify(await cache.get('hit')) !== JSON.stringify(value))
    throw new Error('bench setup: cache miss')

  const rawGet = async (): Promise<unknown> => JSON.parse((await raw.get('bench-raw'))!) as unknown
  const ourGet = (): Promise<unknown> => cache.get('hit')
  await latency(rawGet, 2_000)
  await latency(ourGet, 2_000)

  const [rawLat, ourLat] = await interleave(
    20,
    () => latency(rawGet, 2_000),
    () => latency(ourGet, 2_000),
  )
  const rawSummary = summarize(rawLat)
  const ourSummary = summarize(ourLat)

  const [rawTput, ourTput] = await interleave(
    4,
    async () => [await throughput(rawGet, 64, 40_000)],
    async () => [await throughput(ourGet, 64, 40_000)],
  )
  const rawOps = summarize(rawTput).median
  const ourOps = summarize(ourTput).median

  const manyOnce = (): Promise<unknown> => cache.getMany(keys)
  const sequential = async (): Promise<void> => {
    for (const key of keys) await cache.get(key)
  }
  await latency(manyOnce, 50)
  const [seqLat, manyLat] = await interleave(
    6,
    () => latency(sequential, 20),
    () => latency(manyOnce, 100),
  )
  const seq = summarize(seqLat).median
  const many = summarize(manyLat).median

  await cache.close()
  await raw.close()
  return [
    ratioRow(
      'get hit (1 KB)',
      'median µs',
      ourSummary.median,
      rawSummary.median,
      'node-redis GET + JSON.parse',
      '≤ 1.05x',
      (r) => r <= 1.05,
    ),
    ratioRow(
      'get hit (1 KB)',
      'p99 µs',
      ourSummary.p99,
      rawSummary.p99,
      'node-redis GET + JSON.parse',
    ),
    ratioRow('get hit, concurrency 64', 'ops/s', ourOps, rawOps, 'node-redis GET + JSON.parse'),
    ratioRow(
      'getMany 100 keys',
      'median µs / batch',
      many,
      seq,
      '100 sequential get()',
      '≥ 10x faster',
      (r) => 1 / r >= 10,
    ),
  ]
}
