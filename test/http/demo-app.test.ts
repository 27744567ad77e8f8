import { expect } from 'chai'
import type { Express } from 'express'
import request from 'supertest'
import { createDemoApp } from '../../demo/app.js'
import type { Prediction, TeamStats } from '../../demo/models.js'
import { createCache, MemoryStore, type Cache, type StatusDocument } from '../../src/index.js'
import { behindStableHost } from './apps.js'

describe('demo app (createDemoApp on the memory store)', () => {
  let cache: Cache
  let app: Express

  beforeEach(() => {
    cache = createCache({ store: new MemoryStore() })
    // A twentieth of the realistic delays: still slow enough for requests to overlap.
    app = behindStableHost(createDemoApp(cache, { instance: 'test-app', workScale: 0.05 }))
  })
  afterEach(() => cache.close())

  const status = async (): Promise<StatusDocument> =>
    (await request(app).get('/cache/status').expect(200)).body as StatusDocument
  const fnRuns = async (namespace: string): Promise<number> =>
    (await status()).stats.namespaces[namespace]?.fnRuns ?? 0
  const prediction = (path = '/api/predictions/9') => request(app).get(path).expect(200)

  it('computes a prediction once, then serves it from the cache', async () => {
    const first = await prediction()
    expect(first.headers['x-cache']).to.equal('MISS')
    const body = first.body as Prediction
    expect(body).to.include({ matchId: 9, computedBy: 'test-app', model: 'poisson-v1' })
    const { home, draw, away } = body.probabilities
    expect(home + draw + away).to.be.closeTo(1, 0.01)

    const second = await prediction()
    expect(second.headers['x-cache']).to.equal('HIT')
    expect((second.body as Prediction).computation).to.equal(body.computation)
    expect(await fnRuns('predictions')).to.equal(1)
  })

  it('shares one computation between concurrent requests', async () => {
    const replies = await Promise.all(Array.from({ length: 10 }, () => prediction()))
    const ids = new Set(replies.map((reply) => (reply.body as Prediction).computation))
    expect(ids.size).to.equal(1)
    expect(replies.filter((reply) => reply.headers['x-cache'] === 'MISS')).to.have.length(1)
    expect(await fnRuns('predictions')).to.equal(1)
  })

  it('caches match responses with cacheRoute', async () => {
    const first = await request(app).get('/api/matches').expect(200)
    expect(first.headers['x-cache']).to.equal('MISS')
    const second = await request(app).get('/api/matches').expect(200)
    expect(second.headers['x-cache']).to.equal('HIT')
    expect(second.text).to.equal(first.text)
    expect((second.body as { matches: unknown[] }).matches).to.have.length(12)
  })

  it('caches team statistics through the @cached decorator', async () => {
    const first = (await request(app).get('/api/teams/1/stats').expect(200)).body as TeamStats
    expect(first).to.include({ teamId: 1, played: 2, won: 2, points: 6 })
    const second = (await request(app).get('/api/teams/1/stats').expect(200)).body as TeamStats
    expect(second.computedAt).to.equal(first.computedAt)
    expect(await fnRuns('teams')).to.equal(1)
  })

  it('invalidates what depends on a match when its score is posted', async () => {
    const before = (await prediction()).body as Prediction
    await request(app).get('/api/matches/9').expect(200)
    await request(app).get('/api/matches').expect(200)
    await request(app).get('/api/teams/1/stats').expect(200)

    const posted = await request(app)
      .post('/api/matches/9/score')
      .send({ home: 2, away: 1, minute: 60 })
      .expect(200)
    // The prediction, the match's response, the list and team 1's stats were cached.
    expect((posted.body as { invalidated: number }).invalidated).to.equal(4)

    const match = await request(app).get('/api/matches/9').expect(200)
    expect(match.headers['x-cache']).to.equal('MISS')
    expect((match.body as { match: unknown }).match).to.deep.include({
      status: 'live',
      score: { home: 2, away: 1, minute: 60 },
    })
    const after = await prediction()
    expect(after.headers['x-cache']).to.equal('MISS')
    expect((after.body as Prediction).computation).not.to.equal(before.computation)
    expect((after.body as Prediction).score).to.deep.equal({ home: 2, away: 1, minute: 60 })
    const list = await request(app).get('/api/matches').expect(200)
    expect(list.headers['x-cache']).to.equal('MISS')
    const team = (await request(app).get('/api/teams/1/stats').expect(200)).body as TeamStats
    expect(team).to.include({ played: 3, won: 3, points: 9 })
  })

  it('answers 404 for unknown ids and 400 for a bad score', async () => {
    await request(app).get('/api/predictions/99').expect(404)
    await request(app).get('/api/predictions/abc').expect(404)
    await request(app).get('/api/matches/0').expect(404)
    await request(app).get('/api/teams/9/stats').expect(404)
    await request(app).post('/api/matches/9/score').send({ home: -1, away: 0 }).expect(400)
    await request(app)
      .post('/api/matches/9/score')
      .set('Content-Type', 'application/json')
      .send('{not json')
      .expect(400)
  })

  it('mounts the status router at /cache/status', async () => {
    await prediction()
    const doc = await status()
    expect(doc.status).to.equal('ok')
    expect(doc.stats.namespaces['predictions']).to.include({ misses: 1, fnRuns: 1 })
    await request(app).get('/cache/status/health').expect(200)
    const metrics = await request(app).get('/cache/status/metrics').expect(200)
    expect(metrics.text).to.match(/herdlock_\w+_total\{namespace="predictions"\}/)
  })
})
