/**
 * One instance of a web service for the distributed route tests: an Express app with cached
 * routes in its own process, reporting its port over IPC.
 */
import express from 'express'
import type { AddressInfo } from 'node:net'
import { createClient } from 'redis'
import { createCache } from '../../src/index.js'
import { cacheRoute } from '../../middleware/index.js'

interface Config {
  redis: string
  prefix: string
}

const config = JSON.parse(process.env['HERDLOCK_WORKER'] ?? '{}') as Config
const cache = createCache({ redis: config.redis, prefix: config.prefix, commandTimeout: 300 })
const counter = createClient({ url: config.redis })
counter.on('error', () => undefined)
await counter.connect()

const app = express()
const slow = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

app.get('/slow', cacheRoute(cache, { ttl: '1m', namespace: 'dist' }), async (_req, res) => {
  const run = await counter.incr(`${config.prefix}:runs:slow`)
  await slow(200)
  res.json({ run, pid: process.pid })
})

app.get('/cookie', cacheRoute(cache, { ttl: '1m', namespace: 'dist' }), async (_req, res) => {
  const run = await counter.incr(`${config.prefix}:runs:cookie`)
  await slow(200)
  res.cookie('session', `s-${process.pid}-${run}`).json({ run })
})

const server = app.listen(0, '127.0.0.1', () => {
  void cache
    .ready()
    .then(() => process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port }))
})

process.on('message', (message: { type: string }) => {
  if (message.type !== 'exit') return
  server.closeAllConnections()
  server.close(() => void Promise.all([cache.close(), counter.close()]).then(() => process.exit(0)))
})
