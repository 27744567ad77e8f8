import { expect } from 'chai'
import type { Cache, InvalidateTarget } from '../../../src/index.js'
import { deferred } from '../../support/wait.js'
import type { InstanceFactory } from './instances.js'

/** Entries of the namespace: enough for many SCAN pages and batch calls, on every master. */
const ENTRIES = 3_000
/** Keys computed for the first time during the invalidation (a fence, no value yet). */
const IN_FLIGHT = Array.from({ length: 12 }, (_, i) => `k-computing-${i}`)

async function fill(cache: Cache): Promise<void> {
  for (let start = 0; start < ENTRIES; start += 500) {
    const entries = Array.from({ length: 500 }, (_, i) => ({ key: `k${start + i}`, value: 'old' }))
    await cache.setMany(entries, { namespace: 'bulk', ttl: '1h' })
  }
}

/** Starts one held computation per key; resolves once every one has taken its fence. */
async function computeHeld(cache: Cache, keys: readonly string[]) {
  const gate = deferred<string>()
  const calls = keys.map((key) => {
    const started = deferred()
    const call = cache.cacheFn(
      key,
      () => {
        started.resolve()
        return gate.promise
      },
      { namespace: 'bulk' },
    )
    return { call, started: started.promise }
  })
  await Promise.all(calls.map((c) => c.started))
  return {
    release: (value: string) => gate.resolve(value),
    done: Promise.all(calls.map((c) => c.call)),
  }
}

/**
 * Namespace and pattern invalidation remove entries in batches (several per Redis call): every
 * entry is still removed, and every computation that began before the invalidation is still
 * refused its write, whichever batch, page or master its key fell in.
 */
export function describeBulkInvalidation(instance: InstanceFactory): void {
  describe('invalidation of a namespace of thousands of entries', () => {
    const targets: readonly (readonly [string, InvalidateTarget])[] = [
      ['namespace', { namespace: 'bulk' }],
      ['pattern', { namespace: 'bulk', pattern: 'k*' }],
    ]
    for (const [kind, target] of targets) {
      it(`by ${kind}: removes every entry and refuses every late write`, async function () {
        this.timeout(60_000)
        const [a, b] = [instance(), instance()]
        await fill(a)
        const held = await computeHeld(a, IN_FLIGHT)
        expect(await b.invalidate(target)).to.equal(ENTRIES)
        held.release('computed before the invalidation')
        expect(await held.done).to.deep.equal(
          IN_FLIGHT.map(() => 'computed before the invalidation'),
        )
        const keys = [...Array.from({ length: ENTRIES }, (_, i) => `k${i}`), ...IN_FLIGHT]
        const left = await b.getMany(keys, { namespace: 'bulk' })
        expect(left.filter((value) => value !== undefined)).to.deep.equal([])
        expect(await b.invalidate(target)).to.equal(0)
      })
    }
  })
}
