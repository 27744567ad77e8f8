import { expect } from 'chai'
import type { ChildProcess } from 'node:child_process'
import { createClient } from 'redis'
import { createCache } from '../../src/index.js'
import {
  sharedRedisUrl,
  startRedisNodes,
  stopNodes,
  uniquePrefix,
  type RedisNode,
} from '../support/redis.js'
import { deferred } from '../support/wait.js'
import { Workers, type WorkerConfig, type WorkerReport } from './workers.js'

const CALLS = 50
const FN_MS = 200

function okValues(reports: WorkerReport[]): string[] {
  return reports.flatMap((report) =>
    report.results.map((result) => (result.ok ? JSON.stringify(result.value) : 'error')),
  )
}

function eventTotal(reports: WorkerReport[], name: string): number {
  return reports.reduce((sum, report) => sum + (report.events[name] ?? 0), 0)
}

describe('cacheFn across 4 processes and 3 Redlock nodes', function () {
  this.timeout(60_000)
  let lockNodes: RedisNode[]
  let workers: Workers | undefined
  let prefix: string

  const config = (overrides: Partial<WorkerConfig> = {}): WorkerConfig => ({
    redis: sharedRedisUrl(),
    lockNodes: lockNodes.map((node) => node.url),
    prefix,
    lockTtl: 2_000,
    waitTimeout: 10_000,
    commandTimeout: 300,
    ...overrides,
  })
  const runs = async (key: string): Promise<number> => {
    const client = createClient({ url: sharedRedisUrl() })
    await client.connect()
    try {
      return Number(await client.get(`${prefix}:runs:${key}`))
    } finally {
      await client.close()
    }
  }

  before(async () => {
    lockNodes = await startRedisNodes(3)
  })
  after(() => stopNodes(lockNodes))
  beforeEach(() => {
    prefix = uniquePrefix('dist')
  })
  afterEach(async () => {
    await workers?.stop()
    workers = undefined
    for (const node of lockNodes) {
      await node.resume()
      if (!node.running) await node.restart()
    }
  })

  it('runs the function exactly once for 200 concurrent callers, key after key', async () => {
    workers = await Workers.start(4, config())
    for (const key of ['cold-1', 'cold-2', 'cold-3']) {
      const reports = await Promise.all(workers.run(key, { calls: CALLS, fnMs: FN_MS }))
      const values = okValues(reports)
      expect(values).to.have.length(4 * CALLS)
      expect(new Set(values).size, 'every caller gets the same value').to.equal(1)
      expect(values[0]).to.not.equal('error')
      expect(await runs(key)).to.equal(1)
      expect(eventTotal(reports, 'fn:run')).to.equal(1)
      expect(eventTotal(reports, 'error')).to.equal(0)
    }
  })

  it('takes over exactly once when the holder is SIGKILLed mid-function', async () => {
    const lockTtl = 1_000
    workers = await Workers.start(4, config({ lockTtl }))
    let victim: ChildProcess | undefined
    workers.onFnStart((child) => {
      if (victim !== undefined) return
      victim = child
      child.kill('SIGKILL')
    })
    const settled = await Promise.allSettled(workers.run('crash', { calls: CALLS, fnMs: FN_MS }))
    const reports = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
    expect(reports, 'the three survivors report').to.have.length(3)
    const values = okValues(reports)
    expect(new Set(values).size).to.equal(1)
    expect(JSON.parse(values[0]!)).to.have.property('run', 2)
    expect(await runs('crash')).to.equal(2)
    expect(eventTotal(reports, 'lock:takeover')).to.equal(1)
    const slowest = Math.max(...reports.flatMap((r) => r.results.map((x) => x.ms)))
    expect(slowest, 'lockTtl + fn time + margin').to.be.below(lockTtl + FN_MS + 500)
  })

  it('delivers a function error to every waiter in every process, running it once', async () => {
    workers = await Workers.start(4, config())
    const reports = await Promise.all(
      workers.run('boom', { calls: CALLS, fnMs: FN_MS, fail: true }),
    )
    const results = reports.flatMap((r) => r.results)
    expect(results).to.have.length(4 * CALLS)
    for (const result of results) {
      expect(result.ok).to.equal(false)
      if (!result.ok) {
        expect(result.error).to.deep.equal({
          name: 'UpstreamError',
          message: 'upstream failed',
          code: 'E_UPSTREAM',
        })
      }
    }
    expect(await runs('boom')).to.equal(1)
  })

  it('answers every call with 2 of 3 lock nodes stopped: degraded, counted, bounded', async () => {
    workers = await Workers.start(4, config())
    await lockNodes[1]!.stop()
    await lockNodes[2]!.stop()
    const reports = await Promise.all(workers.run('degraded', { calls: CALLS, fnMs: FN_MS }))
    const results = reports.flatMap((r) => r.results)
    expect(results.every((r) => r.ok)).to.equal(true)
    const executions = await runs('degraded')
    expect(executions, 'at most once per process (in-process single flight)').to.be.within(1, 4)
    expect(eventTotal(reports, 'error'), 'lock failures are reported').to.be.at.least(4)
    expect(Math.max(...results.map((r) => r.ms))).to.be.below(2_000)
  })

  it("refuses a paused holder's late write (fencing a zombie)", async () => {
    const lockTtl = 600
    workers = await Workers.start(4, config({ lockTtl }))
    const paused = deferred<ChildProcess>()
    let first = true
    workers.onFnStart((child) => {
      if (!first) return
      first = false
      child.kill('SIGSTOP')
      paused.resolve(child)
    })
    const all = workers.processes
    const pending = workers.run('zombie', { calls: CALLS, fnMs: FN_MS })
    const zombie = await paused.promise
    const survivors = await Promise.all(pending.filter((_, i) => all[i] !== zombie))
    const values = okValues(survivors)
    expect(new Set(values).size).to.equal(1)
    expect(JSON.parse(values[0]!)).to.have.property('run', 2)

    zombie.kill('SIGCONT')
    const late = await pending[all.indexOf(zombie)]!
    expect(late.events['fence:rejected'], "the zombie's write is refused").to.equal(1)
    const reader = createCache({ redis: sharedRedisUrl(), prefix })
    try {
      expect(await reader.get('zombie')).to.have.property('run', 2)
    } finally {
      await reader.close()
    }
  })
})
