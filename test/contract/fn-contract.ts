import type { CacheOptions } from '../../src/index.js'
import { describeBulkInvalidation } from './cache-fn/bulk-invalidation.js'
import { describeComputing } from './cache-fn/computing.js'
import { describeFailures } from './cache-fn/failures.js'
import { describeFencing } from './cache-fn/fencing.js'
import { describeForcing } from './cache-fn/forcing.js'
import { describeForcingReview } from './cache-fn/forcing-review.js'
import { useInstances } from './cache-fn/instances.js'
import { describeInvalidation } from './cache-fn/invalidation.js'
import { describeSingleFlight } from './cache-fn/single-flight.js'
import { describeStale } from './cache-fn/stale.js'
import { describeTimeouts } from './cache-fn/timeouts.js'

/** The cacheFn behaviour, by subject, run against one backend (several instances share it). */
export function describeFnContract(name: string, backend: () => CacheOptions): void {
  describe(`cacheFn: ${name}`, function () {
    this.timeout(20_000)
    const instance = useInstances(backend)
    describeComputing(instance)
    describeSingleFlight(instance)
    describeFailures(instance)
    describeStale(instance)
    describeTimeouts(instance)
    describeFencing(instance)
    describeForcing(instance)
    describeForcingReview(instance)
    describeInvalidation(instance)
    describeBulkInvalidation(instance)
  })
}
