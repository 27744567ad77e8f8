import type { Cache } from '../../src/index.js'
import { kilobyteValue, ratioRow } from '../support/measure.js'
import { sizes, type Curve } from './growth.js'
import { unlinkAll, type Raw } from './slowlog.js'

/**
 * Redis memory of N entries of ~1 KB written by the cache (value key with its header, fence
 * key) against N raw SETs of the same JSON bytes: the growth of `used_memory` per entry (what
 * the server really spends: keys, TTLs, allocator rounding), and `MEMORY USAGE` of one entry's
 * keys beside the raw key.
 */

const PREFIX = 'bench-scale'
const BATCH = 500

async function usedMemory(raw: Raw): Promise<number> {
  const info = await raw.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN)
}

/** Bytes `used_memory` grew by while `write` ran. */
async function grownBy(raw: Raw, write: () => Promise<void>): Promise<number> {
  const before = await usedMemory(raw)
  await write()
  return (await usedMemory(raw)) - before
}

async function writeOurs(cache: Cache, count: number): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const entries = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => ({
      key: `m${start + i}`,
      value: kilobyteValue(start + i),
    }))
    await cache.setMany(entries, { namespace: 'mem', ttl: '1h' })
  }
}

async function writeRaw(raw: Raw, count: number): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const multi = raw.multi()
    for (let i = start; i < Math.min(start + BATCH, count); i++) {
      multi.set(`raw-mem:${i}`, JSON.stringify(kilobyteValue(i)), { PX: 3_600_000 })
    }
    await multi.execAsPipeline()
  }
}

/** MEMORY USAGE of one entry's keys and of its raw twin, printed. */
async function printOneEntry(raw: Raw, cache: Cache): Promise<void> {
  await cache.set('one', kilobyteValue(0), { namespace: 'mem', ttl: '1h' })
  await raw.set('raw-mem-one', JSON.stringify(kilobyteValue(0)), { PX: 3_600_000 })
  const names = await raw.keys(`${PREFIX}:*{mem:one}*`)
  const parts = await Promise.all(names.map(async (n) => `${n} ${await raw.memoryUsage(n)} B`))
  const theirs = await raw.memoryUsage('raw-mem-one')
  console.log(`\nMEMORY USAGE of one 1 KB entry: ${parts.join(', ')}; raw SET ${theirs} B`)
}

export async function memoryCurve(raw: Raw, cache: Cache): Promise<Curve> {
  const curve: Curve = {
    name: 'Redis memory, 1 KB entries',
    unit: 'entries',
    ours: [],
    baseline: [],
    baselineName: 'raw SET of the same JSON',
    rows: [],
  }
  await printOneEntry(raw, cache)
  for (const size of sizes([1_000, 10_000, 100_000])) {
    const ours = await grownBy(raw, () => writeOurs(cache, size))
    await unlinkAll(raw, `${PREFIX}:*`)
    const theirs = await grownBy(raw, () => writeRaw(raw, size))
    await unlinkAll(raw, 'raw-mem:*')
    curve.ours.push({ size, value: ours })
    curve.baseline.push({ size, value: theirs })
    const scenario = `Redis memory per 1 KB entry, ${size} entries`
    const perEntry = (n: number): number => n / size
    curve.rows.push(
      ratioRow(scenario, 'bytes', perEntry(ours), perEntry(theirs), curve.baselineName),
    )
    console.log(`${scenario}: overhead ${(perEntry(ours) - perEntry(theirs)).toFixed(0)} B`)
  }
  return curve
}
