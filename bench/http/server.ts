import express, { type RequestHandler } from 'express'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { openCaching, type CachingMiddleware } from './contenders.js'
import { isContender, type FromServer, type ToServer } from './proto.js'
import { kilobyteValue } from '../support/measure.js'

/**
 * One server under test of the HTTP benchmark (started by http.bench.ts with an IPC channel):
 * `<contender> <redis url>`. An Express 5 app on a free port of 127.0.0.1 with
 *   GET /hit        the ~1 KB JSON route (behind the contender's cache; none for `plain`). For
 *                   `floor` the handler itself sends the body and headers res.json would, from
 *                   bytes prepared at start: what a cache with a free lookup could do at best.
 *   GET /slow/:key  the same body after 200 ms (behind the cache): the collapsed-miss route
 *   GET /ping       uncached, to open and warm connections
 * It counts handler runs per route key and reports them with its CPU time on "usage"; "exit"
 * closes the server, every connection and the cache, and disconnects IPC, so it ends by itself.
 */
const SLOW_MS = 200
const [name, url] = process.argv.slice(2)
if (!isContender(name) || url === undefined || process.send === undefined) {
  throw new Error('usage: node --import tsx bench/http/server.ts <contender> <redis url> (IPC)')
}
const send = (message: FromServer): void => {
  process.send?.(message)
}

const runs: Record<string, number> = {}
const count = (key: string): void => {
  runs[key] = (runs[key] ?? 0) + 1
}
const caching: CachingMiddleware | undefined =
  name === 'plain' || name === 'floor' ? undefined : await openCaching(name, url)
const body = Buffer.from(JSON.stringify(kilobyteValue()))
const prepared = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': String(body.length),
  etag: `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64').slice(0, 27)}"`,
}
const cached: RequestHandler[] = caching === undefined ? [] : [caching.middleware]

const app = express()
app.get('/ping', (_req, res) => {
  res.end('pong')
})
app.get('/hit', ...cached, (_req, res) => {
  count('hit')
  // Shared mode stores only what the origin gives a lifetime: a field herdlock alone reads (and
  // strips), so the stored response has the same headers as the default mode's.
  if (name === 'herdlock-shared') res.set('Herdlock-Cache-Control', 'max-age=3600')
  if (name === 'floor') {
    res.writeHead(200, prepared)
    res.end(body)
  } else res.json(kilobyteValue())
})
app.get('/slow/:key', ...cached, async (req, res) => {
  const key = req.params['key']
  count(`slow:${typeof key === 'string' ? key : ''}`)
  await sleep(SLOW_MS)
  res.json(kilobyteValue())
})

const server = app.listen(0, '127.0.0.1')
await once(server, 'listening')

async function exit(): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  await closed
  await caching?.close()
  process.disconnect()
  // Everything is closed: the process ends now unless something leaked. Say so if it did
  // (unless the library is known to leak: then the exit is forced, and documented there).
  setTimeout(() => {
    if (caching?.leaks === undefined) {
      console.error(`bench: ${name} server still alive 3 s after closing everything`)
      process.exit(1)
    }
    process.exit(0)
  }, 3_000).unref()
}

process.on('message', (message: ToServer) => {
  if (message.type === 'usage') {
    const cpu = process.cpuUsage()
    send({ type: 'usage', runs: { ...runs }, cpuUs: cpu.user + cpu.system })
  } else {
    void exit()
  }
})
send({ type: 'ready', port: (server.address() as AddressInfo).port })
