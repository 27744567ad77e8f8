import { expect } from 'chai'
import express from 'express'
import request from 'supertest'
import { cacheRoute, createCache, type Cache } from '../../src/index.js'
import { nextEvent } from '../support/events.js'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'
import { behindStableHost } from './apps.js'

describe('cacheRoute with the L1 tier, two instances on Redis', () => {
  let a: Cache
  let b: Cache
  let runs: number

  const app = (cache: Cache): express.Express => {
    const server = express()
    server.get(
      '/match/:id',
      cacheRoute(cache, { namespace: 'm', tags: ['matches'] }),
      (req, res) => {
        runs++
        res.vary('Accept-Language').json({ id: req.params.id, run: runs })
      },
    )
    return behindStableHost(server)
  }

  beforeEach(async () => {
    const prefix = uniquePrefix('routel1')
    a = createCache({ redis: sharedRedisUrl(), prefix, l1: {} })
    b = createCache({ redis: sharedRedisUrl(), prefix, l1: {} })
    await Promise.all([a.ready(), b.ready()])
    runs = 0
  })
  afterEach(async () => {
    await a.close()
    await b.close()
  })

  it('serves repeat hits from memory, variants included, and counts them as L1 hits', async () => {
    // The response reaches the client before its entries are written (the variant, then the
    // pointer to it, as the response varies on Accept-Language): wait for both writes.
    let writes = 0
    const stored = nextEvent(a, 'cache:set', () => ++writes === 2)
    const first = await request(app(a)).get('/match/1').set('Accept-Language', 'en')
    expect(first.headers['x-cache']).to.equal('MISS')
    await stored
    const second = await request(app(a)).get('/match/1').set('Accept-Language', 'en')
    expect(second.headers['x-cache']).to.equal('HIT')
    expect(second.headers['cache-status']).to.match(/; detail=l1$/)
    expect(second.body).to.deep.equal(first.body)
    expect(a.stats().namespaces['m']?.hitsByTier.l1).to.equal(1)
    const other = await request(app(b)).get('/match/1').set('Accept-Language', 'en')
    expect(other.headers['x-cache']).to.equal('HIT')
    expect(other.headers['cache-status']).to.not.match(/detail=l1/)
    expect(runs).to.equal(1)
  })

  it('drops the copy in memory when another instance invalidates', async () => {
    let writes = 0
    const stored = nextEvent(a, 'cache:set', () => ++writes === 2)
    await request(app(a)).get('/match/2')
    await stored
    expect((await request(app(a)).get('/match/2')).headers['cache-status']).to.match(/detail=l1/)
    const evicted = nextEvent(a, 'l1:evict', (e) => e.reason === 'remote')
    await b.invalidate({ tags: ['matches'] })
    await evicted
    const after = await request(app(a)).get('/match/2')
    expect(after.headers['x-cache']).to.equal('MISS')
    expect(runs).to.equal(2)
  })
})
