import { createCache } from '../../src/index.js'
import { assertSame, bento, countRuns } from '../support/clients.js'
import {
  interleave,
  kilobyteValue,
  latency,
  ratioRow,
  summarize,
  type BenchRow,
} from '../support/measure.js'

/**
 * cacheFn hits served by the L1 tier (`l1: {}`) against BentoCache with memory + redis drivers
 * (L1 + L2) getOrSet hits, same ~1 KB value, same run. Both keep L1 values serialized (herdlock
 * always; BentoCache's memory driver by default) and decode a fresh copy on every hit.
 */
const TTL = { ttl: '1h' } as const
const BENTO = 'BentoCache L1+L2 getOrSet'
const unexpected = (): never => {
  throw new Error('bench: a hit benchmark ran its function')
}

export async function fnL1Bench(url: string): Promise<BenchRow[]> {
  const cache = createCache({ redis: url, prefix: 'bench-fn-l1', l1: {} })
  const runs = countRuns(cache)
  const b = bento(url, 'bench-bento-l1', 'l1+l2')
  try {
    const value = kilobyteValue()
    await cache.cacheFn('l1-hit', () => value, TTL)
    await b.cache.getOrSet({ key: 'l1-hit', factory: () => value, ttl: '1h' })
    const check = await cache.cacheFnResult('l1-hit', unexpected, TTL)
    if (check.status !== 'hit' || check.tier !== 'l1') throw new Error('bench: not an L1 hit')
    assertSame('cacheFn (L1)', check.value, value)
    const ours = (): Promise<unknown> => cache.cacheFn('l1-hit', unexpected, TTL)
    const theirs = (): Promise<unknown> =>
      b.cache.getOrSet({ key: 'l1-hit', factory: unexpected, ttl: '1h' })
    assertSame('BentoCache (L1)', await theirs(), value)
    await latency(ours, 5_000)
    await latency(theirs, 5_000)
    const [o, t] = await interleave(
      10,
      () => latency(ours, 5_000),
      () => latency(theirs, 5_000),
    )
    if (runs() !== 1) throw new Error(`bench: ${runs() - 1} unexpected fn runs`)
    const [ourSummary, theirSummary] = [summarize(o), summarize(t)]
    const scenario = 'cacheFn L1 hit (1 KB)'
    return [
      ratioRow(
        scenario,
        'median µs',
        ourSummary.median,
        theirSummary.median,
        BENTO,
        '≤ 1x',
        (r) => r <= 1,
      ),
      ratioRow(scenario, 'p99 µs', ourSummary.p99, theirSummary.p99, BENTO),
    ]
  } finally {
    await cache.close()
    await b.disconnect()
  }
}
