import type { Cache } from '../../src/index.js'
import { ratioRow } from '../support/measure.js'
import { sizes, type Curve } from './growth.js'
import { printLongest, timedWithSlowlog, unlinkAll, type Raw, type Timed } from './slowlog.js'

/**
 * Namespace and tag invalidation over N entries, each against what a user would run by hand on
 * the same data, measured in the same run:
 * - a namespace against a raw SCAN + UNLINK loop over the same keys: a second namespace filled
 *   by the cache exactly like the first (value and fence keys), so both loops scan and remove
 *   the same number and kind of keys;
 * - a tag against a raw tag set: N plain keys listed in a Redis set, popped 500 at a time and
 *   unlinked (herdlock takes its tag sets 500 members at a time too).
 * Every size starts on an empty keyspace (the fences an invalidation leaves are removed, untimed).
 */

const FILL_BATCH = 1_000
const PREFIX = 'bench-scale'
const TAG_BATCH = 500
/** The bound on any single Redis command, in µs. */
const LONGEST_LIMIT_US = 10_000

export async function fillCache(cache: Cache, namespace: string, count: number, tag?: string) {
  for (let start = 0; start < count; start += FILL_BATCH) {
    const entries = Array.from({ length: Math.min(FILL_BATCH, count - start) }, (_, i) => ({
      key: `k${start + i}`,
      value: start + i,
    }))
    await cache.setMany(entries, { namespace, ttl: '1h', ...(tag ? { tags: [tag] } : {}) })
  }
}

/** Paired runs per size: BENCH_SCALE_REPEAT, else 3 up to 100k entries and 1 above. */
function repeats(size: number): number {
  const given = Number(process.env['BENCH_SCALE_REPEAT'] ?? '')
  return Number.isInteger(given) && given > 0 ? given : size <= 100_000 ? 3 : 1
}

/**
 * Run both sides `repeats(size)` times, alternating which goes first, and keep the pair whose
 * ratio is the median (this VM's speed drifts by tens of percent within seconds).
 */
async function medianPair(
  size: number,
  ours: () => Promise<Timed>,
  theirs: () => Promise<Timed>,
): Promise<{ mine: Timed; base: Timed; ratios: number[] }> {
  const pairs: { mine: Timed; base: Timed }[] = []
  for (let i = 0; i < repeats(size); i++) {
    if (i % 2 === 0) {
      const mine = await ours()
      pairs.push({ mine, base: await theirs() })
    } else {
      const base = await theirs()
      pairs.push({ mine: await ours(), base })
    }
  }
  const ratio = (p: { mine: Timed; base: Timed }): number => p.mine.ms / p.base.ms
  pairs.sort((a, b) => ratio(a) - ratio(b))
  const median = pairs[Math.floor(pairs.length / 2)]!
  return { ...median, ratios: pairs.map(ratio) }
}

async function namespacePair(raw: Raw, cache: Cache, size: number) {
  const ours = async (): Promise<Timed> => {
    await fillCache(cache, `ns${size}`, size)
    const timed = await timedWithSlowlog(raw, () => cache.invalidate({ namespace: `ns${size}` }))
    await unlinkAll(raw, `${PREFIX}:*`)
    return timed
  }
  const theirs = async (): Promise<Timed> => {
    await fillCache(cache, `base${size}`, size)
    const pattern = `${PREFIX}:[vf]:{base${size}:*}`
    const timed = await timedWithSlowlog(raw, () => unlinkAll(raw, pattern))
    await unlinkAll(raw, `${PREFIX}:*`)
    return timed
  }
  return medianPair(size, ours, theirs)
}

export async function namespaceCurve(raw: Raw, cache: Cache): Promise<Curve> {
  const curve: Curve = {
    name: 'namespace invalidation',
    unit: 'entries',
    ours: [],
    baseline: [],
    baselineName: 'SCAN + UNLINK, same keys',
    rows: [],
  }
  for (const size of sizes([10_000, 100_000, 1_000_000], 'BENCH_SCALE_SIZES')) {
    const { mine, base, ratios } = await namespacePair(raw, cache, size)
    curve.ours.push({ size, value: mine.ms })
    curve.baseline.push({ size, value: base.ms })
    const scenario = `namespace invalidation, ${size} entries`
    console.log(
      `${scenario}: ratios of the paired runs ${ratios.map((r) => r.toFixed(2)).join(', ')}`,
    )
    printLongest(scenario, mine, base, LONGEST_LIMIT_US)
    curve.rows.push(
      ratioRow(scenario, 'ms', mine.ms, base.ms, curve.baselineName, '≤ 1.5x', (r) => r <= 1.5),
      ratioRow(
        `${scenario}: longest command`,
        'µs',
        mine.longestUs,
        base.longestUs,
        'SCAN + UNLINK loop',
        '≤ 10,000 µs',
        () => mine.longestUs <= LONGEST_LIMIT_US,
      ),
    )
  }
  return curve
}

async function fillRawTag(raw: Raw, tag: string, count: number): Promise<void> {
  for (let start = 0; start < count; start += FILL_BATCH) {
    const multi = raw.multi()
    const names: string[] = []
    for (let i = start; i < Math.min(start + FILL_BATCH, count); i++) {
      names.push(`raw:${tag}:${i}`)
      multi.set(`raw:${tag}:${i}`, String(i), { PX: 3_600_000 })
    }
    multi.sAdd(`raw-tag:${tag}`, names)
    await multi.execAsPipeline()
  }
}

async function rawTagInvalidate(raw: Raw, tag: string): Promise<void> {
  for (;;) {
    const members = await raw.sPopCount(`raw-tag:${tag}`, TAG_BATCH)
    if (members.length > 0) await raw.unlink(members)
    if (members.length < TAG_BATCH) return
  }
}

export async function tagCurve(raw: Raw, cache: Cache): Promise<Curve> {
  const curve: Curve = {
    name: 'tag invalidation',
    unit: 'entries',
    ours: [],
    baseline: [],
    baselineName: 'raw set: SPOP 500 + UNLINK',
    rows: [],
  }
  for (const size of sizes([1_000, 10_000, 100_000])) {
    await fillCache(cache, `tagged${size}`, size, `tag${size}`)
    const mine = await timedWithSlowlog(raw, () => cache.invalidate({ tags: [`tag${size}`] }))
    await fillRawTag(raw, `tag${size}`, size)
    const theirs = await timedWithSlowlog(raw, () => rawTagInvalidate(raw, `tag${size}`))
    await unlinkAll(raw, `${PREFIX}:*`)
    curve.ours.push({ size, value: mine.ms })
    curve.baseline.push({ size, value: theirs.ms })
    const scenario = `tag invalidation, ${size} entries`
    printLongest(scenario, mine, theirs, LONGEST_LIMIT_US)
    curve.rows.push(ratioRow(scenario, 'ms', mine.ms, theirs.ms, curve.baselineName))
  }
  return curve
}
