import express from 'express'
import { createCache } from '../src/index.js'
import { pickRedis } from './redis-probe.js'

/**
 * The herdlock demo. Run it with `npm run demo`; it uses REDIS_URL, else a local Redis on
 * 127.0.0.1:6379 when one answers, else the built-in memory store, and says which.
 */

const port = Number(process.env['PORT'] ?? 3000)
const redis = await pickRedis()
const cache = createCache({ redis: redis.url, prefix: 'herdlock-demo', defaultTtl: '30s' })

const app = express()

// A slow "expensive" computation, cached by key.
async function computeTable(league: string): Promise<{ league: string; computedAt: string }> {
  await new Promise((resolve) => setTimeout(resolve, 300))
  return { league, computedAt: new Date().toISOString() }
}

app.get('/api/leagues/:league/table', async (req, res) => {
  const league = req.params.league
  const cached = await cache.get<{ league: string; computedAt: string }>(league, {
    namespace: 'tables',
  })
  if (cached !== undefined) {
    res.set('X-Cache', 'HIT').json(cached)
    return
  }
  const table = await computeTable(league)
  await cache.set(league, table, { namespace: 'tables', ttl: '30s' })
  res.set('X-Cache', 'MISS').json(table)
})

app.post('/api/leagues/:league/table/invalidate', async (req, res) => {
  const removed = await cache.invalidate({ key: req.params.league, namespace: 'tables' })
  res.json({ removed })
})

const server = app.listen(port, () => {
  console.log(`herdlock demo on http://localhost:${port}, caching in ${redis.label}`)
  console.log(
    `  try: curl -i http://localhost:${port}/api/leagues/premier/table   (twice: MISS, then HIT)`,
  )
  console.log(`       curl -X POST http://localhost:${port}/api/leagues/premier/table/invalidate`)
})

let stopping = false
async function shutdown(): Promise<void> {
  if (stopping) return
  stopping = true
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await cache.close()
  console.log('herdlock demo stopped')
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void shutdown())
}
