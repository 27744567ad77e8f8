import { expect } from 'chai'
import { createCache, type Cache, type CacheEventMap } from '../../src/index.js'
import { startRedisNodes, stopNodes, uniquePrefix, type RedisNode } from '../support/redis.js'
import { deferred } from '../support/wait.js'

describe('cacheFn with its Redis down (fail open)', function () {
  this.timeout(20_000)
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
    cache = createCache({ redis: node.url, prefix: uniquePrefix('fnf'), commandTimeout: 200 })
    cache.on('error', (event) => errors.push(event))
    await cache.ready()
  })
  afterEach(() => cache.close())

  it('runs the function directly, once per process, and never throws Redis errors', async () => {
    await node.stop()
    let runs = 0
    const gate = deferred()
    const fn = async (): Promise<string> => {
      runs++
      await gate.promise
      return 'from origin'
    }
    const started = performance.now()
    const calls = Array.from({ length: 20 }, () => cache.cacheFnResult('down', fn))
    gate.resolve()
    const results = await Promise.all(calls)
    expect(results.map((r) => r.value)).to.deep.equal(Array(20).fill('from origin'))
    expect(runs).to.equal(1)
    expect(performance.now() - started).to.be.below(1_000)
    // The store cannot be reached, so the lock is not even tried: nothing could be shared
    // (issue 12, defect 8: instances run in parallel instead of one after another).
    expect(errors.map((e) => e.source)).to.include('store')
  })

  it('throws store errors at callers only when asked to', async () => {
    const strict = createCache({
      redis: node.url,
      prefix: uniquePrefix('strict'),
      commandTimeout: 200,
      throwOnStoreError: true,
    })
    strict.on('error', () => undefined)
    try {
      await node.stop()
      const error = await strict.cacheFn('k', () => 1).catch((e: unknown) => e)
      expect((error as { code?: string }).code).to.match(/^E_STORE/)
    } finally {
      await strict.close()
    }
  })

  it('caches again once Redis is back', async () => {
    await node.stop()
    expect(await cache.cacheFn('back', () => 1)).to.equal(1)
    await node.restart()
    let cachedAgain = false
    for (let i = 0; i < 100 && !cachedAgain; i++) {
      await cache.cacheFn('back', () => 2)
      cachedAgain = (await cache.cacheFnResult('back', () => 3)).status === 'hit'
      if (!cachedAgain) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(cachedAgain).to.equal(true)
  })
})
