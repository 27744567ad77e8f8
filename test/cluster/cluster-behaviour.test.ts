import { expect } from 'chai'
import express from 'express'
import { createCluster } from 'redis'
import request from 'supertest'
import { cacheRoute } from '../../middleware/index.js'
import { createCache, type Cache, type CacheOptions } from '../../src/index.js'
import { nextEvent } from '../support/events.js'
import { sharedCluster, type LocalCluster } from '../support/local-cluster.js'
import { uniquePrefix } from '../support/redis.js'
import { deferred } from '../support/wait.js'

/**
 * herdlock on a real Redis Cluster (3 masters, 3 replicas): what must hold across masters, with
 * each "instance" a cache on its own cluster client, as separate processes would be.
 */
describe('Redis Cluster: behaviour across masters', function () {
  this.timeout(60_000)
  let cluster: LocalCluster
  const clients: { destroy(): void }[] = []
  const caches: Cache[] = []

  before(async () => {
    cluster = await sharedCluster()
  })
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()))
    for (const client of clients.splice(0)) client.destroy()
  })

  /** `count` cache instances sharing one prefix, each on its own cluster client. */
  async function instances(count: number, options: Partial<CacheOptions> = {}): Promise<Cache[]> {
    const prefix = uniquePrefix('cluster')
    const made: Cache[] = []
    for (let i = 0; i < count; i++) {
      const client = createCluster({ rootNodes: cluster.rootNodes })
      client.on('error', () => undefined)
      await client.connect()
      clients.push(client)
      const cache = createCache({ ...options, redis: client, prefix })
      caches.push(cache)
      made.push(cache)
    }
    await Promise.all(made.map((cache) => cache.ready()))
    return made
  }

  /** Cache keys of `namespace` whose entries live on each master (one per master). */
  const keysOnEveryMaster = (namespace: string): Promise<string[]> =>
    cluster.keysOnEveryMaster(
      (i) => `key-${i}`,
      (key) => `{${namespace}:${key}}`,
    )

  /** Resolves once `caches` together emitted `event` `count` times. */
  function counted(caches: Cache[], event: 'lock:contended', count: number): Promise<void> {
    const reached = deferred()
    let seen = 0
    const listener = (): void => {
      if (++seen !== count) return
      for (const cache of caches) cache.off(event, listener)
      reached.resolve()
    }
    for (const cache of caches) cache.on(event, listener)
    return reached.promise
  }

  it('computes each key once across instances, for keys on every master', async () => {
    const [a, b, c] = await instances(3)
    const keys = await keysOnEveryMaster('default')
    const runs = new Map<string, number>()
    const gate = deferred()
    // The holder of each key waits until the two other instances wait on it.
    const contended = counted([a!, b!, c!], 'lock:contended', 2 * keys.length)
    const calls = keys.flatMap((key) =>
      [a!, b!, c!].flatMap((cache) =>
        Array.from({ length: 5 }, () =>
          cache.cacheFn(
            key,
            async () => {
              runs.set(key, (runs.get(key) ?? 0) + 1)
              await gate.promise
              return `value of ${key}`
            },
            { ttl: '1m', lockTtl: '10s' },
          ),
        ),
      ),
    )
    await contended
    gate.resolve()
    const values = await Promise.all(calls)
    expect(values).to.deep.equal(keys.flatMap((key) => Array<string>(15).fill(`value of ${key}`)))
    expect(Object.fromEntries(runs)).to.deep.equal(Object.fromEntries(keys.map((k) => [k, 1])))
  })

  it('invalidates a namespace, a pattern and tags on every master', async () => {
    const [a, b] = await instances(2)
    const keys = await keysOnEveryMaster('teams')
    const fill = () =>
      Promise.all(keys.map((key) => a!.set(key, key, { namespace: 'teams', tags: ['all-teams'] })))
    const present = async () =>
      (await b!.getMany(keys, { namespace: 'teams' })).filter((v) => v !== undefined).length

    await fill()
    expect(await present()).to.equal(3)
    expect(await b!.invalidate({ namespace: 'teams' })).to.be.at.least(3)
    expect(await present()).to.equal(0)

    await fill()
    expect(await b!.invalidate({ namespace: 'teams', pattern: 'key-*' })).to.equal(3)
    expect(await present()).to.equal(0)

    await fill()
    expect(await b!.invalidate({ tags: ['all-teams'] })).to.equal(3)
    expect(await present()).to.equal(0)
  })

  it('keeps L1 coherent across instances for keys on every master', async () => {
    const [a, b] = await instances(2, { l1: {} })
    const keys = await keysOnEveryMaster('default')
    for (const key of keys) await a!.set(key, 'v1')
    for (const key of keys) expect(await a!.get(key)).to.equal('v1')
    for (const key of keys) {
      const evicted = nextEvent(a!, 'l1:evict', (e) => e.reason === 'remote')
      await b!.set(key, 'v2')
      await evicted
      expect(await a!.get(key)).to.equal('v2')
    }
  })

  // Both apps answer one site: the key holds the Host, and supertest's differ by port.
  const HOST = 'scores.example'

  it('collapses a route miss across instances and serves hits from the cluster', async () => {
    const [a, b] = await instances(2)
    let runs = 0
    const gate = deferred()
    const app = (cache: Cache) =>
      express().get('/standings', cacheRoute(cache, { ttl: '1m' }), async (_req, res) => {
        runs++
        await gate.promise
        res.json({ table: [1, 2, 3] })
      })
    const appA = app(a!)
    const appB = app(b!)
    const waiting = counted([a!, b!], 'lock:contended', 1)
    const get = (app: express.Express) =>
      new Promise<request.Response>((resolve, reject) => {
        request(app)
          .get('/standings')
          .set('host', HOST)
          .end((error: Error | null, response: request.Response) =>
            error === null ? resolve(response) : reject(error),
          )
      })
    const both = Promise.all([get(appA), get(appB)])
    try {
      await waiting
    } finally {
      gate.resolve()
    }
    const answers = await both
    expect(answers.map((r) => r.body as unknown)).to.deep.equal([
      { table: [1, 2, 3] },
      { table: [1, 2, 3] },
    ])
    expect(runs).to.equal(1)
    const hit = await get(appB)
    expect(hit.headers['x-cache']).to.equal('HIT')
    expect(runs).to.equal(1)
  })
})
