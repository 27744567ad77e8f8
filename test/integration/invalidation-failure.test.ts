import { expect } from 'chai'
import { createClient } from 'redis'
import {
  createCache,
  MemoryStore,
  type Cache,
  type InvalidateTarget,
  type Store,
} from '../../src/index.js'
import { nextEvent } from '../support/events.js'
import { startRedisNodes, stopNodes, uniquePrefix, type RedisNode } from '../support/redis.js'

/**
 * Issue 12, defect 7: an invalidation either takes effect or rejects, whatever the store does;
 * never a silent no-op that leaves the old value for its full ttl.
 */
describe('issue 12: invalidate() with the store failing (Redis)', function () {
  this.timeout(30_000)
  let node: RedisNode
  let cache: Cache
  let observer: Cache

  const TARGETS: readonly [string, InvalidateTarget][] = [
    ['key', { key: 'k', namespace: 'n' }],
    ['namespace', { namespace: 'n' }],
    ['pattern', { pattern: 'k*', namespace: 'n' }],
    ['tags', { tags: ['t'] }],
  ]

  before(async () => {
    ;[node] = (await startRedisNodes(1)) as [RedisNode]
  })
  after(() => stopNodes([node]))

  beforeEach(async () => {
    if (!node.running) await node.restart()
    const prefix = uniquePrefix('invfail')
    cache = createCache({
      redis: node.url,
      prefix,
      commandTimeout: 200,
      breaker: { threshold: 1, cooldown: '1h' },
    })
    observer = createCache({ redis: node.url, prefix, breaker: false })
    await Promise.all([cache.ready(), observer.ready()])
  })
  afterEach(async () => {
    await node.resume()
    await cache.close()
    await observer.close()
  })

  for (const [kind, target] of TARGETS) {
    it(`defect 7: with the breaker open and Redis back, invalidate({ ${kind} }) takes effect`, async () => {
      await observer.set('k', 'old', { namespace: 'n', tags: ['t'] })
      const opened = nextEvent(cache, 'breaker:state', (e) => e.state === 'open')
      await node.pause()
      expect(await cache.get('k', { namespace: 'n' })).to.equal(undefined)
      await opened
      await node.resume()
      expect(await cache.invalidate(target)).to.equal(1)
      expect(await observer.get('k', { namespace: 'n' })).to.equal(undefined)
    })

    it(`defect 7: with Redis unreachable, invalidate({ ${kind} }) rejects with a typed error`, async () => {
      await node.stop()
      const failure = await cache.invalidate(target).then(
        () => undefined,
        (error: unknown) => error as Error & { code?: string; cause?: unknown },
      )
      expect(failure, 'invalidate resolved although nothing was invalidated').to.be.an('error')
      expect(failure!.name).to.equal('InvalidationError')
      expect(failure!.code).to.equal('E_INVALIDATE')
      expect(failure!.cause).to.be.an('error')
    })
  }

  it('defect 7: with Redis hung, invalidate rejects within the command timeout', async () => {
    await node.pause()
    const failure = await cache.invalidate({ key: 'k' }).then(
      () => undefined,
      (error: unknown) => error as Error & { code?: string },
    )
    expect(failure?.code).to.equal('E_INVALIDATE')
  })
})

/**
 * Issue 12, defect 10: notices sent while the subscriber is disconnected are lost, so an
 * instance drops its L1 tier whenever its subscription comes back.
 */
describe('issue 12: L1 across a subscriber reconnect (Redis)', function () {
  this.timeout(30_000)
  let node: RedisNode
  let a: Cache
  let b: Cache
  let admin: ReturnType<typeof createClient>

  before(async () => {
    ;[node] = (await startRedisNodes(1)) as [RedisNode]
  })
  after(() => stopNodes([node]))

  beforeEach(async () => {
    const prefix = uniquePrefix('resub')
    a = createCache({ redis: node.url, prefix, l1: {} })
    b = createCache({ redis: node.url, prefix })
    admin = createClient({ url: node.url })
    await admin.connect()
    await Promise.all([a.ready(), b.ready()])
  })
  afterEach(async () => {
    await admin.sendCommand(['CONFIG', 'SET', 'maxclients', '10000'])
    await admin.close()
    await a.close()
    await b.close()
  })

  it('defect 10: a write announced while the subscriber was away is not served from L1', async () => {
    const heard = nextEvent(a, 'l1:evict', (e) => e.reason === 'remote')
    await b.set('k', 'old')
    await heard
    expect(await a.get('k')).to.equal('old')
    expect((await a.getEntry('k'))?.tier).to.equal('l1')
    // Hold the subscribers out: no new connection is accepted until maxclients is raised.
    const info = await admin.info('clients')
    const connected = Number(/connected_clients:(\d+)/.exec(info)?.[1])
    // a and b hold one subscriber connection each.
    await admin.sendCommand(['CONFIG', 'SET', 'maxclients', String(connected - 2)])
    const subscribers = Number(await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']))
    expect(subscribers).to.equal(2)
    // The notice of this write reaches nobody.
    await b.set('k', 'new')
    const dropped = nextEvent(a, 'l1:evict', (e) => e.reason === 'resubscribed', 10_000)
    await admin.sendCommand(['CONFIG', 'SET', 'maxclients', '10000'])
    await dropped
    expect(await a.get('k')).to.equal('new')
  })
})

/**
 * A tag invalidation takes a batch of members from the tag set and then deletes their entries:
 * when the deletion fails, the batch goes back into the set, so the retry finds the entries.
 */
describe('issue 12: a tag invalidation that fails half-way (memory store)', () => {
  it('defect 7: puts the members it took back, so the retry removes the entries', async () => {
    const inner = new MemoryStore()
    let failDeletes = true
    const store = new Proxy(inner, {
      get(target, name, receiver) {
        const value: unknown = Reflect.get(target, name, receiver)
        if (name !== 'run') {
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value
        }
        return (calls: Parameters<Store['run']>[0]) =>
          failDeletes && calls.some((call) => call.script.name === 'delete')
            ? Promise.reject(new Error('connection lost'))
            : target.run(calls)
      },
    })
    const cache = createCache({ store })
    cache.on('error', () => undefined)
    try {
      await cache.set('k', 'old', { tags: ['t'] })
      const failure = await cache.invalidate({ tags: ['t'] }).then(
        () => undefined,
        (error: unknown) => error as Error & { code?: string },
      )
      expect(failure?.code).to.equal('E_INVALIDATE')
      failDeletes = false
      expect(await cache.invalidate({ tags: ['t'] })).to.equal(1)
      expect(await cache.get('k')).to.equal(undefined)
    } finally {
      await cache.close()
    }
  })
})
