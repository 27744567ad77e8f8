import { expect } from 'chai'
import { createCache, type Cache, type CacheEventMap } from '../../src/index.js'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'

/** Keep this process busy for `ms` without yielding to the event loop (a GC pause, say). */
function stall(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // Busy on purpose: the event loop must not run.
  }
}

/**
 * Let the client write the command it queued (node-redis writes on a later tick); its reply
 * takes longer than this to come back, so it arrives during the stall that follows.
 */
function commandSent(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * A stall of this process, not of Redis, is not a Redis timeout: replies that arrived in time
 * are used even when the deadline timer became due in the same turn of the event loop. (The
 * soak found computations that lost their fence this way after a SIGSTOP of their worker, and
 * a computation without a fence does not store its value.)
 */
describe('a stalled process keeps the replies that arrived in time (Redis)', () => {
  let cache: Cache
  let errors: CacheEventMap['error'][]

  beforeEach(async () => {
    cache = createCache({
      redis: sharedRedisUrl(),
      prefix: uniquePrefix('stall'),
      commandTimeout: 50,
    })
    errors = []
    cache.on('error', (event) => errors.push(event))
    await cache.ready()
    await cache.set('k', 'v')
  })
  afterEach(() => cache.close())

  it('a read whose reply came during the stall returns it', async () => {
    const read = cache.get('k')
    await commandSent()
    stall(300)
    expect(await read).to.equal('v')
    expect(errors).to.deep.equal([])
  })

  it('a computation whose store read answered during the stall gets a fence and stores', async () => {
    // The read is on its way when the stall begins; were it taken for a timeout, the call
    // would run degraded (no fence) and not store its value.
    const computed = cache.cacheFn('fn', () => 'fresh')
    await commandSent()
    stall(300)
    expect(await computed).to.equal('fresh')
    expect(await cache.get('fn')).to.equal('fresh')
  })
})
