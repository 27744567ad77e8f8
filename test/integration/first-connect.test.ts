import { expect } from 'chai'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createCache } from '../../src/index.js'
import { startRedisNodes, stopNodes, uniquePrefix, type RedisNode } from '../support/redis.js'

/**
 * Issue 12, defect 11: before Redis ever connected, calls wait for the connection only within
 * their deadline. A call that already failed open never takes effect later, and nothing piles
 * up while the server stays away.
 */
/**
 * Full garbage collections once pending callbacks ran, so that what is measured is what is
 * really still held.
 */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  await new Promise((resolve) => setImmediate(resolve))
  gc()
  gc()
}

describe('issue 12: calls made before Redis ever connected (Redis)', function () {
  this.timeout(30_000)
  let node: RedisNode

  before(async () => {
    ;[node] = (await startRedisNodes(1)) as [RedisNode]
  })
  after(() => stopNodes([node]))

  it('defect 11: a set that failed open before the first connection never lands afterwards', async () => {
    await node.stop()
    const prefix = uniquePrefix('first')
    const cache = createCache({ redis: node.url, prefix, commandTimeout: 100, breaker: false })
    try {
      await cache.set('k', 'early')
      await node.restart()
      await cache.ready()
      // Anything the early set left queued would be sent before this read.
      expect(await cache.get('k')).to.equal(undefined)
      const observer = createCache({ redis: node.url, prefix })
      try {
        expect(await observer.get('k')).to.equal(undefined)
      } finally {
        await observer.close()
      }
    } finally {
      await cache.close()
    }
  })

  it('defect 11: calls that timed out before the first connection hold no memory', async () => {
    await node.stop()
    const cache = createCache({
      redis: node.url,
      prefix: uniquePrefix('first'),
      commandTimeout: 50,
      breaker: false,
    })
    try {
      const value = 'x'.repeat(16 * 1024)
      await collectGarbage()
      const before = process.memoryUsage().arrayBuffers
      const calls = Array.from({ length: 3_000 }, (_, i) => cache.set(`k${i}`, value))
      await Promise.all(calls)
      await collectGarbage()
      // Each write serialized its value into a buffer: 3,000 x 16 KB = 48 MB if retained.
      const retained = process.memoryUsage().arrayBuffers - before
      expect(retained, `${Math.round(retained / 1e6)} MB still held`).to.be.below(16e6)
    } finally {
      await cache.close()
      await node.restart()
    }
  })

  it('a cache closed while its connections are still being made reports no error', async () => {
    const errors: string[] = []
    for (let i = 0; i < 20; i++) {
      // Lock nodes of their own: the store's client and each lock client connect separately.
      const cache = createCache({ redis: node.url, lock: { nodes: [node.url] } })
      cache.on('error', ({ source, error }) => errors.push(`${source}: ${error.message}`))
      // Closed at once, or once the connection attempts are under way (one turn of the loop).
      if (i % 2 === 0) await new Promise((resolve) => setImmediate(resolve))
      await cache.close()
    }
    expect(errors).to.deep.equal([])
  })
})
