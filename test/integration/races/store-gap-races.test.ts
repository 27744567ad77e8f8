import { expect } from 'chai'
import { createCache, type Cache, type CacheOptions } from '../../../src/index.js'
import { FaultProxy, type RespCommand } from '../../support/fault-proxy.js'
import { startRedisNodes, stopNodes, uniquePrefix, type RedisNode } from '../../support/redis.js'
import { deferred } from '../../support/wait.js'

/**
 * What a store gap (a paused Redis, a lost reply) may not do later: a call that failed open, or
 * an invalidation that rejected, must not leave data older than a later invalidation that
 * resolved. Found by the 10-minute soak (SOAK.md): reads of old data after tag and namespace
 * invalidations that followed a store pause. Each test drives the interleaving with a fault
 * proxy and a held function; no sleeps.
 */
describe('store gaps: no late effect outlives an invalidation (Redis)', function () {
  this.timeout(10_000)
  let node: RedisNode
  let prefix: string
  const caches: Cache[] = []
  const proxies: FaultProxy[] = []

  const open = (options: CacheOptions = {}): Cache => {
    const cache = createCache({ redis: node.url, prefix, commandTimeout: 200, ...options })
    cache.on('error', () => undefined)
    caches.push(cache)
    return cache
  }
  const proxy = async (): Promise<FaultProxy> => {
    const p = await FaultProxy.start(node.url)
    proxies.push(p)
    return p
  }
  /** A script call (EVAL or EVALSHA) that names `key`. */
  const scriptOn =
    (key: string) =>
    (command: RespCommand): boolean =>
      (command.name === 'EVALSHA' || command.name === 'EVAL') &&
      command.args.some((arg) => arg.toString() === key)

  before(async () => {
    ;[node] = (await startRedisNodes(1)) as [RedisNode]
  })
  after(() => stopNodes([node]))
  beforeEach(() => {
    prefix = uniquePrefix('gap')
  })
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()))
    await Promise.all(caches.splice(0).map((c) => c.close()))
  })

  it('a computation that got no fence (store unreachable at its start) does not store its value', async () => {
    const p = await proxy()
    const a = open({ redis: p.url, breaker: false })
    const observer = open()
    await Promise.all([a.ready(), observer.ready()])
    const started = deferred()
    const value = deferred<string>()
    p.pause()
    const call = a.cacheFn('k', () => {
      started.resolve()
      return value.promise
    })
    await started.promise
    p.resume()
    // The invalidation resolves after the function started: its result is older than it.
    await observer.invalidate({ key: 'k' })
    value.resolve('old')
    expect(await call).to.equal('old')
    expect(await observer.get('k')).to.equal(undefined)
    expect(await a.get('k')).to.equal(undefined)
  })

  it('a tag invalidation whose reply was lost leaves the tagged entries to the next one', async () => {
    const p = await proxy()
    const a = open({ redis: p.url, breaker: false })
    const observer = open()
    await Promise.all([a.ready(), observer.ready()])
    await observer.set('k', 'old', { tags: ['t'] })
    // Loads the scripts, so the held call is the script itself and not a NOSCRIPT reply.
    await observer.invalidate({ tags: ['other'] })
    // The take runs on the server; its reply never reaches `a`, which times out and rejects.
    const hold = p.holdReply(scriptOn(`${prefix}:tz:{t}`))
    const failed = await a.invalidate({ tags: ['t'] }).then(
      () => undefined,
      (error: unknown) => error as Error,
    )
    await hold.reached
    expect(failed?.name).to.equal('InvalidationError')
    expect(await observer.invalidate({ tags: ['t'] })).to.equal(1)
    expect(await observer.get('k')).to.equal(undefined)
    hold.release()
  })

  it('a tag invalidation whose deletes failed leaves the tagged entries to the next one', async () => {
    const p = await proxy()
    const a = open({ redis: p.url, breaker: false })
    const observer = open()
    await Promise.all([a.ready(), observer.ready()])
    await observer.set('k', 'old', { tags: ['t'] })
    // The delete of the entry (and everything after it on that connection, the put-back of the
    // taken members included) never answers.
    const hold = p.holdCommand(scriptOn(`${prefix}:v:{default:k}`))
    const failed = await a.invalidate({ tags: ['t'] }).then(
      () => undefined,
      (error: unknown) => error as Error,
    )
    await hold.reached
    expect(failed?.name).to.equal('InvalidationError')
    expect(await observer.invalidate({ tags: ['t'] })).to.equal(1)
    expect(await observer.get('k')).to.equal(undefined)
    hold.release()
  })
})
