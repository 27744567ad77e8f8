import { expect } from 'chai'
import express from 'express'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { request as httpRequest } from 'node:http'
import { createCache, type Cache } from '../../src/index.js'
import { cacheRoute } from '../../middleware/index.js'
import { startRedisNodes, stopNodes, uniquePrefix, type RedisNode } from '../support/redis.js'

const COMMAND_TIMEOUT_MS = 200

function get(
  port: number,
  path: string,
): Promise<{
  status: number
  ms: number
  xCache: string | undefined
  cacheStatus: string | undefined
}> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path }, (res) => {
      res.resume()
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ms: performance.now() - started,
          xCache: res.headers['x-cache'] as string | undefined,
          cacheStatus: res.headers['cache-status'] as string | undefined,
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

describe('cacheRoute with its Redis stopped mid-load', function () {
  this.timeout(30_000)
  let node: RedisNode
  let cache: Cache
  let server: Server
  let port: number

  before(async () => {
    ;[node] = (await startRedisNodes(1)) as [RedisNode]
  })
  after(() => stopNodes([node]))
  beforeEach(async () => {
    cache = createCache({
      redis: node.url,
      prefix: uniquePrefix('rdown'),
      commandTimeout: COMMAND_TIMEOUT_MS,
    })
    cache.on('error', () => undefined)
    await cache.ready()
    const app = express()
    app.get('/item/:id', cacheRoute(cache, { ttl: '1m' }), (req, res) =>
      res.json({ id: req.params['id'] }),
    )
    server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterEach(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await cache.close()
    if (!node.running) await node.restart()
  })

  it('answers every request from the origin, none failing or waiting past the command timeout', async () => {
    const results: Awaited<ReturnType<typeof get>>[] = []
    let stopped: Promise<void> | undefined
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        results.push(await get(port, `/item/${(w * 40 + i) % 25}`))
        if (results.length === 120) stopped = node.stop()
      }
    }
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)))
    await stopped
    expect(results).to.have.length(320)
    expect(results.every((r) => r.status === 200)).to.equal(true)
    expect(Math.max(...results.map((r) => r.ms))).to.be.below(COMMAND_TIMEOUT_MS * 2 + 300)
    expect(results.slice(0, 100).some((r) => r.xCache === 'HIT')).to.equal(true)
    expect(results.slice(-50).every((r) => r.xCache === 'BYPASS')).to.equal(true)
  })

  it('counts every BYPASS answer as a bypass, the request that went to the origin and those that shared its response alike', async () => {
    await node.stop()
    // Concurrent requests for one path: one goes to the origin, the others share its response.
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => get(port, `/item/${i % 3}`)),
    )
    expect(results.every((r) => r.status === 200)).to.equal(true)
    expect(results.map((r) => r.xCache)).to.deep.equal(results.map(() => 'BYPASS'))
    for (const r of results) {
      expect(r.cacheStatus).to.equal('herdlock; fwd=bypass; detail=store-unavailable')
    }
    const routes = cache.stats().namespaces['routes']!
    expect(routes.bypassesByReason).to.deep.equal({ 'store-unavailable': results.length })
  })
})
