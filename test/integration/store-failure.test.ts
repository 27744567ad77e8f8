import { expect } from 'chai'
import { createCache, DEFAULTS, type Cache, type CacheEventMap } from '../../src/index.js'
import { startRedisNodes, stopNodes, uniquePrefix, type RedisNode } from '../support/redis.js'
import { sleep } from '../support/wait.js'

const COMMAND_TIMEOUT_MS = 200
// Scheduling slack on a loaded 2-core machine; the bound under test is the command timeout.
const SLACK_MS = 100

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now()
  const value = await work()
  return { value, ms: performance.now() - started }
}

/** Repeat an operation until it succeeds; resolves to how long that took. */
async function timeUntil(ok: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < limitMs) {
    if (await ok()) return performance.now() - started
    await sleep(20)
  }
  return Number.POSITIVE_INFINITY
}

describe('Cache with its Redis down or hung (fail open)', function () {
  this.timeout(30_000)
  let node: RedisNode
  let cache: Cache
  let errors: CacheEventMap['error'][]

  before(async () => {
    ;[node] = (await startRedisNodes(1)) as [RedisNode]
  })
  after(() => stopNodes([node]))

  beforeEach(async () => {
    if (!node.running) await node.restart()
    errors = []
    cache = createCache({
      redis: node.url,
      prefix: uniquePrefix('fail'),
      commandTimeout: COMMAND_TIMEOUT_MS,
      breaker: false,
    })
    cache.on('error', (event) => errors.push(event))
    await cache.set('k', 'v')
    expect(await cache.get('k')).to.equal('v')
  })
  afterEach(async () => {
    await cache.close()
    await node.resume()
  })

  it('stopped: get resolves as a miss and set resolves, within the command timeout', async () => {
    await node.stop()
    const get = await timed(() => cache.get('k'))
    expect(get.value).to.equal(undefined)
    expect(get.ms).to.be.below(COMMAND_TIMEOUT_MS + SLACK_MS)
    const set = await timed(() => cache.set('k2', 'v2'))
    expect(set.ms).to.be.below(COMMAND_TIMEOUT_MS + SLACK_MS)
    const many = await timed(() => cache.getMany(['k', 'k2']))
    expect(many.value).to.deep.equal([undefined, undefined])
    expect(errors.filter((e) => e.source === 'store').length).to.be.at.least(3)
  })

  it('paused (SIGSTOP): get misses and set resolves within the command timeout', async () => {
    await node.pause()
    const get = await timed(() => cache.get('k'))
    expect(get.value).to.equal(undefined)
    expect(get.ms).to.be.below(COMMAND_TIMEOUT_MS + SLACK_MS)
    const set = await timed(() => cache.set('k3', 'v3'))
    expect(set.ms).to.be.below(COMMAND_TIMEOUT_MS + SLACK_MS)
    expect(errors.some((e) => e.error.name === 'StoreTimeoutError')).to.equal(true)
    await node.resume()
    expect(await timeUntil(async () => (await cache.get('k')) === 'v', 2_000)).to.be.below(2_000)
  })

  it('restarted: operations succeed again within 2 s', async () => {
    await node.stop()
    expect(await cache.get('k')).to.equal(undefined)
    await node.restart()
    const recovery = await timeUntil(async () => {
      await cache.set('after', 1)
      return (await cache.get('after')) === 1
    }, 5_000)
    expect(recovery).to.be.below(2_000)
  })

  it('uses a default command timeout well under a second', async () => {
    const defaults = createCache({ redis: node.url, prefix: uniquePrefix('dflt'), breaker: false })
    try {
      await defaults.set('k', 1)
      await node.pause()
      const get = await timed(() => defaults.get('k'))
      expect(get.value).to.equal(undefined)
      expect(DEFAULTS.commandTimeout).to.equal('500ms')
      expect(get.ms).to.be.below(500 + SLACK_MS)
    } finally {
      await node.resume()
      await defaults.close()
    }
  })

  it('opens its breaker after repeated failures: later calls skip Redis instantly', async () => {
    const guarded = createCache({
      redis: node.url,
      prefix: uniquePrefix('brk'),
      commandTimeout: COMMAND_TIMEOUT_MS,
      breaker: { threshold: 2, cooldown: '300ms' },
    })
    const states: string[] = []
    guarded.on('breaker:state', ({ state }) => states.push(state))
    try {
      await guarded.set('k', 1)
      await node.pause()
      await guarded.get('k')
      await guarded.get('k')
      expect(states).to.deep.equal(['open'])
      const skipped = await timed(() => guarded.get('k'))
      expect(skipped.value).to.equal(undefined)
      expect(skipped.ms).to.be.below(20)
      await node.resume()
      const recovery = await timeUntil(async () => (await guarded.get('k')) === 1, 2_000)
      expect(recovery).to.be.below(2_000)
      expect(states).to.deep.equal(['open', 'half-open', 'closed'])
    } finally {
      await node.resume()
      await guarded.close()
    }
  })

  it('never throws at construction when Redis is unreachable, and serves misses', async () => {
    await node.stop()
    const offline = createCache({
      redis: node.url,
      prefix: uniquePrefix('off'),
      commandTimeout: 150,
    })
    try {
      const get = await timed(() => offline.get('k'))
      expect(get.value).to.equal(undefined)
      expect(get.ms).to.be.below(150 + SLACK_MS)
    } finally {
      await offline.close()
    }
  })
})
