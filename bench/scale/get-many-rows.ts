import type { Cache } from '../../src/index.js'
import { ratioRow } from '../support/measure.js'
import type { Curve } from './growth.js'
import { fillCache } from './invalidation-rows.js'

/** getMany of N keys against N sequential get() calls of the same keys (both from Redis). */

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

export async function getManyCurve(cache: Cache): Promise<Curve> {
  const counts = [10, 100, 1_000]
  await fillCache(cache, 'many', Math.max(...counts))
  const curve: Curve = {
    name: 'getMany',
    unit: 'keys',
    ours: [],
    baseline: [],
    baselineName: 'sequential get()',
    rows: [],
  }
  for (const size of counts) {
    const keys = Array.from({ length: size }, (_, i) => `k${i}`)
    const batch = await best(() => cache.getMany(keys, { namespace: 'many' }))
    const sequential = await best(async () => {
      for (const key of keys) await cache.get(key, { namespace: 'many' })
    })
    curve.ours.push({ size, value: batch })
    curve.baseline.push({ size, value: sequential })
    curve.rows.push(
      ratioRow(`getMany ${size} keys`, 'ms', batch, sequential, `${size} sequential get()`),
    )
  }
  return curve
}
