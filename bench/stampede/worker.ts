import { setTimeout as sleep } from 'node:timers/promises'
import { rawClient } from '../support/clients.js'
import {
  isLibrary,
  openContender,
  wallNow,
  type Contender,
  type FromWorker,
  type ToWorker,
} from './contenders.js'
import { kilobyteValue } from '../support/measure.js'

/**
 * One process of the stampede benchmark (started by stampede.bench.ts with an IPC channel):
 * `<library> <redis url>`. It connects and warms up, reports ready, then for every "go" fires
 * `calls` concurrent get-or-compute calls for one cold key whose function INCRs a counter and
 * takes `fnMs`, and reports each caller's latency from the parent's go. "exit" closes
 * everything and disconnects IPC, so the process ends on its own.
 */
const [library, url] = process.argv.slice(2)
if (!isLibrary(library) || url === undefined || process.send === undefined) {
  throw new Error('usage: node --import tsx bench/stampede/worker.ts <library> <redis url> (IPC)')
}
const contender = openContender(library, url)
const counter = await rawClient(url)
const expected = JSON.stringify(kilobyteValue())

function send(message: FromWorker): void {
  process.send?.(message)
}

async function warmUp(c: Contender): Promise<void> {
  const key = `warm:${process.pid}`
  for (let i = 0; i < 3; i++) await c.call(key, () => Promise.resolve(kilobyteValue()))
}

async function round(go: Extract<ToWorker, { type: 'go' }>): Promise<void> {
  const lag = wallNow() - go.at
  const fn = async (): Promise<unknown> => {
    await counter.incr(go.counter)
    await sleep(go.fnMs)
    return kilobyteValue()
  }
  const latencies: number[] = []
  const errors: string[] = []
  let sample: unknown
  await Promise.all(
    Array.from({ length: go.calls }, () =>
      contender.call(go.key, fn).then(
        (value) => {
          latencies.push(wallNow() - go.at)
          sample = value
        },
        (error: unknown) => {
          errors.push(String(error))
        },
      ),
    ),
  )
  if (errors.length === 0 && JSON.stringify(sample) !== expected) errors.push('wrong value')
  send({ type: 'done', latencies, errors, lag })
}

async function exit(): Promise<void> {
  await contender.close()
  await counter.close()
  process.disconnect()
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'go') void round(message)
  else void exit()
})
await warmUp(contender)
send({ type: 'ready' })
