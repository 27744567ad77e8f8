import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createCache, type CacheOptions } from '../../src/index.js'
import { ratioRow } from '../support/measure.js'
import { sizes, type Curve } from './growth.js'
import { unlinkAll, type Raw } from './slowlog.js'

/**
 * Memory of this process after N distinct keys went through one cache instance: with the L1
 * tier on (its default 16 MiB bound), and with the stats on, each against the same traffic
 * through an instance with both off (same run, same keys). Memory is the V8 heap plus
 * external memory (payload Buffers) after a full GC.
 */

const BATCH = 1_000

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function heapBytes(): number {
  gc()
  gc()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external
}

/** Heap growth, in bytes, of an instance that wrote `count` distinct keys, still open. */
async function grownBy(url: string, options: CacheOptions, count: number): Promise<number> {
  const before = heapBytes()
  const cache = createCache({ redis: url, prefix: 'bench-scale', ...options })
  try {
    for (let start = 0; start < count; start += BATCH) {
      const entries = Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => ({
        key: `p${start + i}`,
        value: start + i,
      }))
      await cache.setMany(entries, { namespace: 'proc', ttl: '1h' })
      await cache.get(`p${start}`, { namespace: 'proc' })
    }
    return heapBytes() - before
  } finally {
    await cache.close()
  }
}

const MIB = 1024 * 1024

export async function processMemoryCurves(url: string, raw: Raw): Promise<Curve[]> {
  const off: CacheOptions = { l1: false, stats: false }
  const l1: Curve = {
    name: 'L1 tier heap',
    unit: 'keys',
    ...{ ours: [], baseline: [], rows: [] },
    baselineName: 'same traffic, L1 and stats off',
  }
  const stats: Curve = { ...l1, name: 'stats heap', ours: [], baseline: [], rows: [] }
  for (const size of sizes([10_000, 100_000, 1_000_000])) {
    const base = await grownBy(url, off, size)
    await unlinkAll(raw, 'bench-scale:*')
    const withL1 = await grownBy(url, { l1: {}, stats: false }, size)
    await unlinkAll(raw, 'bench-scale:*')
    const withStats = await grownBy(url, { l1: false }, size)
    await unlinkAll(raw, 'bench-scale:*')
    for (const [curve, ours] of [
      [l1, withL1],
      [stats, withStats],
    ] as const) {
      // Growth under 1 MiB is within the noise of a heap measure (GC timing, pools): no
      // exponent is drawn from it (printed n/a).
      const signal = (bytes: number): number => (bytes >= MIB ? bytes : Number.NaN)
      curve.ours.push({ size, value: signal(ours - base) })
      curve.baseline.push({ size, value: signal(base) })
      const scenario = `${curve.name} after ${size} keys (growth over the baseline)`
      curve.rows.push(
        ratioRow(scenario, 'MiB', (ours - base) / MIB, base / MIB, curve.baselineName),
      )
    }
  }
  return [l1, stats]
}
