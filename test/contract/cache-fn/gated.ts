import type { Cache } from '../../../src/index.js'
import { deferred } from '../../support/wait.js'
import type { InstanceFactory } from './instances.js'

/**
 * A function a test holds open: each run counts, `started` resolves at the first run, and every
 * run ends (with `settle(run)`, its run number) once the test calls `release()`.
 */
export function gated<T>(settle: (run: number) => T): {
  readonly fn: () => Promise<T>
  readonly started: Promise<void>
  release(): void
  runs(): number
} {
  let runs = 0
  const gate = deferred()
  const started = deferred()
  return {
    fn: async () => {
      const run = ++runs
      started.resolve()
      await gate.promise
      return settle(run)
    },
    started: started.promise,
    release: () => gate.resolve(),
    runs: () => runs,
  }
}

/** Two ready instances of the backend (two servers behind a load balancer). */
export async function twoInstances(instance: InstanceFactory): Promise<[Cache, Cache]> {
  const pair: [Cache, Cache] = [instance(), instance()]
  await Promise.all(pair.map((cache) => cache.ready()))
  return pair
}

/** Run `body` with `Date.now` frozen: every write it makes lands in one millisecond. */
export async function inOneMillisecond<T>(body: () => Promise<T>): Promise<T> {
  const realNow = Date.now
  const frozen = realNow()
  Date.now = () => frozen
  try {
    return await body()
  } finally {
    Date.now = realNow
  }
}
