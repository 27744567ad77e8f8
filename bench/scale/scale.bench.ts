import { createClient } from 'redis'
import { createCache, type Cache } from '../../src/index.js'
import { kilobyteValue, ratioRow, type BenchRow } from '../support/measure.js'

/**
 * How herdlock's costs grow with the work: namespace invalidation over N entries against a raw
 * SCAN + UNLINK loop over the same number of keys (and the longest single Redis command seen,
 * from SLOWLOG), tag invalidation over N tagged entries, getMany of N keys against N sequential
 * gets, and Redis memory per entry against a raw SET of the same bytes. Each curve prints its
 * growth exponent (the slope of log time over log size between the smallest and largest size).
 */

type Raw = ReturnType<typeof createClient>

/** Sizes from BENCH_SCALE_SIZES ("10000,100000,1000000"), else these. */
function sizes(fallback: number[]): number[] {
  const given = process.env['BENCH_SCALE_SIZES']
  if (given === undefined || given === '') return fallback
  return given.split(',').map(Number)
}

const FILL_BATCH = 1_000

async function fillCache(cache: Cache, namespace: string, count: number, tag?: string) {
  for (let start = 0; start < count; start += FILL_BATCH) {
    const entries = Array.from({ length: Math.min(FILL_BATCH, count - start) }, (_, i) => ({
      key: `k${start + i}`,
      value: start + i,
    }))
    await cache.setMany(entries, { namespace, ttl: '1h', ...(tag ? { tags: [tag] } : {}) })
  }
}

async function fillRaw(raw: Raw, prefix: string, count: number) {
  for (let start = 0; start < count; start += FILL_BATCH) {
    const multi = raw.multi()
    for (let i = start; i < Math.min(start + FILL_BATCH, count); i++) {
      multi.set(`${prefix}:${i}`, String(i), { PX: 3_600_000 })
    }
    await multi.execAsPipeline()
  }
}

async function rawScanUnlink(raw: Raw, pattern: string): Promise<number> {
  let removed = 0
  let cursor = '0'
  do {
    const reply = await raw.scan(cursor, { MATCH: pattern, COUNT: 1_000 })
    cursor = String(reply.cursor)
    if (reply.keys.length > 0) removed += await raw.unlink(reply.keys)
  } while (cursor !== '0')
  return removed
}

/** ms of `work`, and the longest command Redis logged meanwhile (µs; 0 when none over 1 ms). */
async function timedWithSlowlog(raw: Raw, work: () => Promise<unknown>) {
  await raw.sendCommand(['SLOWLOG', 'RESET'])
  const started = performance.now()
  await work()
  const ms = performance.now() - started
  const log = await raw.sendCommand<unknown[][]>(['SLOWLOG', 'GET', '1000'])
  const longestUs = Math.max(0, ...log.map((entry) => Number(entry[2])))
  return { ms, longestUs }
}

/** Print the longest single command of both sides (SLOWLOG keeps those over 1 ms). */
function longest(scenario: string, ours: number, theirs: number, limitUs?: number): void {
  const verdict = limitUs === undefined ? '' : ours <= limitUs ? ' ✔' : ` ✘ (limit ${limitUs} µs)`
  const show = (us: number): string => (us === 0 ? 'none over 1 ms' : `${us} µs`)
  console.log(
    `${scenario}: longest Redis command ${show(ours)}${verdict}; SCAN + UNLINK ${show(theirs)}`,
  )
}

function exponent(points: { size: number; value: number }[]): number {
  const first = points[0]!
  const last = points[points.length - 1]!
  return Math.log(last.value / first.value) / Math.log(last.size / first.size)
}

async function namespaceRows(raw: Raw, cache: Cache): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const ours: { size: number; value: number }[] = []
  const base: { size: number; value: number }[] = []
  for (const size of sizes([10_000, 100_000, 1_000_000])) {
    await fillCache(cache, `ns${size}`, size)
    const mine = await timedWithSlowlog(raw, () => cache.invalidate({ namespace: `ns${size}` }))
    await fillRaw(raw, `raw${size}`, size)
    const theirs = await timedWithSlowlog(raw, () => rawScanUnlink(raw, `raw${size}:*`))
    ours.push({ size, value: mine.ms })
    base.push({ size, value: theirs.ms })
    longest(`namespace invalidation, ${size} entries`, mine.longestUs, theirs.longestUs, 10_000)
    rows.push(
      ratioRow(
        `namespace invalidation, ${size} entries`,
        'ms',
        mine.ms,
        theirs.ms,
        'SCAN + UNLINK loop',
        '≤ 1.5x',
        (r) => r <= 1.5,
      ),
    )
  }
  console.log(
    `\nGrowth exponent, namespace invalidation: herdlock ${exponent(ours).toFixed(2)}, ` +
      `SCAN + UNLINK ${exponent(base).toFixed(2)} (1.00 = linear)`,
  )
  return rows
}

async function tagRows(raw: Raw, cache: Cache): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const ours: { size: number; value: number }[] = []
  for (const size of sizes([1_000, 10_000, 100_000])) {
    await fillCache(cache, `tagged${size}`, size, `tag${size}`)
    const mine = await timedWithSlowlog(raw, () => cache.invalidate({ tags: [`tag${size}`] }))
    await fillRaw(raw, `rawtag${size}`, size)
    const theirs = await timedWithSlowlog(raw, () => rawScanUnlink(raw, `rawtag${size}:*`))
    ours.push({ size, value: mine.ms })
    longest(`tag invalidation, ${size} entries`, mine.longestUs, theirs.longestUs)
    rows.push(
      ratioRow(`tag invalidation, ${size} entries`, 'ms', mine.ms, theirs.ms, 'SCAN + UNLINK loop'),
    )
  }
  console.log(`\nGrowth exponent, tag invalidation: herdlock ${exponent(ours).toFixed(2)}`)
  return rows
}

async function getManyRows(cache: Cache): Promise<BenchRow[]> {
  await fillCache(cache, 'many', 1_000)
  const rows: BenchRow[] = []
  for (const size of [10, 100, 1_000]) {
    const keys = Array.from({ length: size }, (_, i) => `k${i}`)
    const batch = await best(() => cache.getMany(keys, { namespace: 'many' }))
    const sequential = await best(async () => {
      for (const key of keys) await cache.get(key, { namespace: 'many' })
    })
    rows.push(ratioRow(`getMany ${size} keys`, 'ms', batch, sequential, `${size} sequential get()`))
  }
  return rows
}

/** The fastest of 5 runs, in ms (the least disturbed by the rest of the machine). */
async function best(work: () => Promise<unknown>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY
  for (let i = 0; i < 5; i++) {
    const started = performance.now()
    await work()
    fastest = Math.min(fastest, performance.now() - started)
  }
  return fastest
}

async function memoryRows(raw: Raw, cache: Cache): Promise<BenchRow[]> {
  const value = kilobyteValue()
  await cache.set('mem', value, { namespace: 'mem', ttl: '1h', tags: ['mem-tag'] })
  await raw.set('raw-mem', JSON.stringify(value), { PX: 3_600_000 })
  const names = await raw.keys('bench-scale:*{mem:mem}*')
  let ours = 0
  for (const name of names) ours += Number(await raw.memoryUsage(name))
  const theirs = Number(await raw.memoryUsage('raw-mem'))
  console.log(
    `\nRedis memory per 1 KB entry: herdlock ${ours} B over ${names.length} keys ` +
      `(${names.join(', ')}), raw SET ${theirs} B: overhead ${ours - theirs} B`,
  )
  return [
    ratioRow('Redis memory per 1 KB entry', 'bytes', ours, theirs, 'raw SET of the same JSON'),
  ]
}

/** Every scale row, on the Redis at `url` (its slowlog threshold is set to 1 ms). */
export async function scaleBench(url: string): Promise<BenchRow[]> {
  const raw: Raw = createClient({ url })
  raw.on('error', () => undefined)
  await raw.connect()
  await raw.configSet('slowlog-log-slower-than', '1000')
  const cache = createCache({ redis: url, prefix: 'bench-scale' })
  try {
    return [
      ...(await namespaceRows(raw, cache)),
      ...(await tagRows(raw, cache)),
      ...(await getManyRows(cache)),
      ...(await memoryRows(raw, cache)),
    ]
  } finally {
    await cache.close()
    raw.destroy()
  }
}
