import { expect } from 'chai'
import express from 'express'
import { createRequire } from 'node:module'
import { createClient } from 'redis'
import request from 'supertest'
import { Keyspace } from '../../src/entries/keyspace.js'
import { RedlockLock } from '../../src/lock/redlock-lock.js'
import {
  createCache,
  type Cache,
  type CacheFnOptions,
  type NamespaceStatsSnapshot,
} from '../../src/index.js'
import { cacheRoute, statusRouter, type StatusDocument } from '../../middleware/index.js'
import { nextEvent } from '../support/events.js'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'
import { deferred, sleep } from '../support/wait.js'
import { behindStableHost } from './apps.js'

/** What parse-prometheus-text-format returns (prom2json's shape); the package has no types. */
interface PromFamily {
  name: string
  type: string
  metrics: { value?: string; labels?: Record<string, string> }[]
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromFamily[]

type Labels = Record<string, string>
type Counts = Omit<NamespaceStatsSnapshot, 'latency'>

/** A family of samples as the JSON document implies it: labels and value of every series. */
type Series = [name: string, labels: Labels, value: number]

/**
 * Every series /metrics must carry, derived from the JSON document alone (written here
 * independently of the renderer): each per-namespace counter, each cache-wide counter, the
 * histograms and the health gauges.
 */
function expectedSeries(doc: StatusDocument): Series[] {
  const out: Series[] = []
  const add = (name: string, labels: Labels, value: number) =>
    out.push([`herdlock_${name}`, labels, value])
  const each = (name: string, label: string, counts: Readonly<Record<string, number>>, base = {}) =>
    Object.entries(counts).forEach(([key, n]) => add(name, { ...base, [label]: key }, n))
  for (const [namespace, s] of Object.entries(doc.stats.namespaces)) {
    const ns = { namespace }
    each('hits_total', 'tier', s.hitsByTier, ns)
    add('misses_total', ns, s.misses)
    each('stale_total', 'reason', s.staleByReason, ns)
    each('bypasses_total', 'reason', s.bypassesByReason, ns)
    each('not_stored_total', 'reason', s.notStoredByReason, ns)
    add('stores_total', ns, s.stores)
    add('stored_bytes_total', ns, s.storedBytes)
    each('fn_runs_total', 'reason', s.fnRunsByReason, ns)
    add('fn_errors_total', ns, s.fnErrors)
    each('fn_timeouts_total', 'kind', s.fnTimeouts, ns)
    add('coalesced_total', ns, s.coalesced)
    each('waits_total', 'outcome', s.waitsByOutcome, ns)
    each('wakeups_total', 'by', s.wakeups, ns)
    each('lock_total', 'outcome', s.lock, ns)
    add('fence_rejected_total', ns, s.fenceRejected)
    add('corrupt_total', ns, s.corrupt)
    add('hit_ratio', ns, s.hitRatio)
    const histograms = [
      ['hit', s.latency.hit],
      ['miss', s.latency.miss],
      ['lock_wait', s.latency.lockWait],
      ['fn', s.latency.fn],
    ] as const
    for (const [name, h] of histograms) {
      const full = `${name}_duration_seconds`
      doc.stats.latencyBucketsMs.forEach((le, i) =>
        add(`${full}_bucket`, { ...ns, le: String(le / 1_000) }, h.buckets[i]!),
      )
      add(`${full}_bucket`, { ...ns, le: '+Inf' }, h.count)
      add(`${full}_sum`, ns, h.sumMs / 1_000)
      add(`${full}_count`, ns, h.count)
    }
  }
  each('errors_total', 'source', doc.stats.errorsBySource)
  each('breaker_transitions_total', 'state', doc.stats.breakerTransitions)
  each('invalidations_total', 'by', doc.stats.invalidations)
  add('invalidated_entries_total', {}, doc.stats.invalidatedEntries)
  each('l1_evictions_total', 'reason', doc.stats.l1Evictions)
  const { health } = doc
  for (const status of ['ok', 'degraded', 'down']) {
    add('health_status', { status }, health.status === status ? 1 : 0)
  }
  add('store_up', {}, health.store.up ? 1 : 0)
  if (health.store.latencyMs !== null)
    add('store_latency_seconds', {}, health.store.latencyMs / 1e3)
  add('subscriber_up', {}, health.subscriber.up ? 1 : 0)
  health.lock.nodes.forEach((node, i) => add('lock_node_up', { node: String(i) }, node.up ? 1 : 0))
  add('lock_quorum', {}, health.lock.quorum ? 1 : 0)
  for (const state of ['closed', 'open', 'half-open']) {
    add('breaker_state', { state }, health.breaker.state === state ? 1 : 0)
  }
  return out
}

/** `name{a="1",b="2"}` with labels sorted; `le` normalized to a number so 0.1 == 1e-1. */
function seriesKey(name: string, labels: Labels = {}): string {
  const pairs = Object.entries(labels)
    .map(([k, v]) => [k, k === 'le' && v !== '+Inf' ? String(Number(v)) : v])
    .sort(([a], [b]) => (a! < b! ? -1 : 1))
  return `${name}{${pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`
}

/**
 * Rules of the text format the lenient parser does not enforce: one HELP and one TYPE per
 * family, TYPE before its samples, samples of a family together and named after it, valid
 * names, escaped label values, parseable values, no series twice, cumulative buckets.
 */
function checkGrammar(text: string): void {
  expect(text.endsWith('\n'), 'ends with a newline').to.equal(true)
  const types = new Map<string, string>()
  const seen = new Set<string>()
  let current = ''
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (\S+)$/
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta !== null) {
      const [, kind, family = '', rest = ''] = meta
      expect(family, line).to.match(name)
      if (kind === 'TYPE') {
        expect(types.has(family), `one TYPE for ${family}`).to.equal(false)
        expect(['counter', 'gauge', 'histogram']).to.include(rest)
        types.set(family, rest)
        current = family
      }
      continue
    }
    const match = sample.exec(line)
    expect(match, `sample line: ${line}`).to.not.equal(null)
    const [, metric = '', labels = '', value = ''] = match!
    const suffixes = types.get(current) === 'histogram' ? ['_bucket', '_sum', '_count'] : ['']
    expect(
      suffixes.map((s) => current + s),
      line,
    ).to.include(metric)
    expect(value === 'NaN' || value === '+Inf' || !Number.isNaN(Number(value)), line).to.equal(true)
    expect(seen.has(`${metric}{${labels}}`), `series once: ${line}`).to.equal(false)
    seen.add(`${metric}{${labels}}`)
  }
}

/** Check /metrics against the JSON document: every sample, and nothing missing or extra. */
function checkMetrics(text: string, doc: StatusDocument): number {
  checkGrammar(text)
  const families = parsePrometheus(text)
  const expected = new Map(expectedSeries(doc).map(([n, l, v]) => [seriesKey(n, l), v]))
  const actual = new Map<string, number>()
  for (const family of families) {
    expect(family.type, family.name).to.be.oneOf(['COUNTER', 'GAUGE', 'HISTOGRAM'])
    if (family.type === 'HISTOGRAM') continue
    for (const m of family.metrics) actual.set(seriesKey(family.name, m.labels), Number(m.value))
  }
  // The parser folds labelled histograms into one series (a known limitation), so the
  // histogram samples are read by parsing them again as untyped samples.
  const histograms = families.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name)
  expect(histograms.length).to.equal(4)
  const untyped = text.replace(/^# TYPE \S+ histogram\n/gm, '')
  for (const family of parsePrometheus(untyped)) {
    if (!histograms.some((h) => family.name.startsWith(h))) continue
    for (const m of family.metrics) actual.set(seriesKey(family.name, m.labels), Number(m.value))
  }
  expect([...actual.keys()].sort()).to.deep.equal([...expected.keys()].sort())
  for (const [key, value] of expected) expect(actual.get(key), key).to.equal(value)
  return expected.size
}

describe('Status counters over Redis: a scripted sequence, as JSON and as Prometheus', function () {
  this.timeout(30_000)
  let prefix: string
  let a: Cache
  let b: Cache

  beforeEach(async () => {
    prefix = uniquePrefix('counts')
    // The default health interval (2 s) keeps one probe for both documents of a check.
    const options = { redis: sharedRedisUrl(), prefix }
    a = createCache(options)
    b = createCache(options)
    await Promise.all([a.ready(), b.ready()])
  })
  afterEach(() => Promise.all([a.close(), b.close()]))

  it('counts exactly what the calls did, and /metrics carries exactly the JSON figures', async () => {
    const users = { namespace: 'users' }
    const preds = { namespace: 'preds' } as const
    const gate = (value: unknown) => {
      const open = deferred()
      const fn = async () => {
        await open.promise
        return value
      }
      return { open: () => open.resolve(), fn }
    }

    // users: a stores u1; get hit, get miss, getMany 1 hit + 2 misses.
    await a.set('u1', { name: 'Ada' }, users)
    await a.get('u1', users)
    await a.get('u2', users)
    await a.getMany(['u1', 'u2', 'u3'], users)

    // p1: miss (lock, run, store), then hit.
    await a.cacheFn('p1', () => 1, preds)
    await a.cacheFn('p1', () => 1, preds)
    // p2: five concurrent calls, one flight: 1 miss, 4 coalesced.
    const p2 = gate(2)
    const five = Array.from({ length: 5 }, () => a.cacheFn('p2', p2.fn, preds))
    p2.open()
    await Promise.all(five)
    // p3: the predicate refuses the result (not stored); p4: the function fails.
    await a.cacheFn('p3', () => null, { ...preds, shouldCache: (v: null) => v !== null })
    await a.cacheFn('p4', () => Promise.reject(new Error('no')), preds).catch(() => undefined)

    // p6: a computes, b finds the lock taken and is woken by a's message.
    const p6 = gate(6)
    const holder = a.cacheFn('p6', p6.fn, preds)
    await nextEvent(a, 'lock:acquired')
    const waiter = b.cacheFn('p6', () => -1, preds)
    await nextEvent(b, 'lock:contended')
    p6.open()
    expect(await Promise.all([holder, waiter])).to.deep.equal([6, 6])

    // p7: a holder that dies (its lock just expires): b waits, polls, takes over and computes.
    const keys = new Keyspace(prefix).entry('preds', 'p7')
    const zombie = new RedlockLock([sharedRedisUrl()], { commandTimeoutMs: 500, onError() {} })
    try {
      expect(await zombie.tryAcquire(keys.lock, 300)).to.not.equal(undefined)
      expect(await b.cacheFn('p7', () => 7, preds)).to.equal(7)
    } finally {
      await zombie.close()
    }

    // p8: the lock disappears while the function runs: the next extension finds it lost.
    const raw = createClient({ url: sharedRedisUrl() })
    await raw.connect()
    try {
      const p8 = gate(8)
      const lockTtl: CacheFnOptions<unknown> = { ...preds, lockTtl: 300 }
      const running = a.cacheFn('p8', p8.fn, lockTtl)
      await nextEvent(a, 'lock:acquired')
      await raw.del(new Keyspace(prefix).entry('preds', 'p8').lock)
      await nextEvent(a, 'lock:lost')
      p8.open()
      expect(await running).to.equal(8)
    } finally {
      await raw.close()
    }

    // p9: a plain set lands while the holder computes: the holder's older write is refused.
    const p9 = gate('old')
    const late = a.cacheFn('p9', p9.fn, preds)
    await nextEvent(a, 'lock:acquired')
    await a.set('p9', 'newer', preds)
    p9.open()
    await late
    expect(await a.get('p9', preds)).to.equal('newer')

    // p10: stored, expires, then the function fails: the stale value is served (stale-if-error).
    const sie = { ...preds, ttl: 40, staleIfError: '1m' } as const
    await a.cacheFn('p10', () => 'v1', sie)
    await sleep(60) // the value must age past its ttl: time by nature
    const stale = await a.cacheFnResult('p10', () => Promise.reject(new Error('down')), sie)
    expect(stale).to.include({ value: 'v1', status: 'stale' })

    expect(await a.invalidate({ key: 'u1', namespace: 'users' })).to.equal(1)

    const app = express().use('/cache/status', statusRouter(a))
    const doc = (await request(app).get('/cache/status').expect(200)).body as StatusDocument
    const s = doc.stats
    const zeroes = {
      stale: 0,
      bypasses: 0,
      notStored: 0,
      fnErrors: 0,
      coalesced: 0,
      waits: 0,
      fenceRejected: 0,
      corrupt: 0,
    }
    expect(s.namespaces['users']).to.deep.include({
      ...zeroes,
      hits: 2,
      misses: 3,
      hitRatio: 2 / 5,
      hitsByTier: { l1: 0, store: 2 },
      stores: 1,
      fnRuns: 0,
    } satisfies Partial<Counts>)
    expect(s.namespaces['preds']).to.deep.include({
      ...zeroes,
      // p1's second call, and the get of p9
      hits: 2,
      // p1 p2 p3 p4 p6 p8 p9 and p10 twice (expired, then failing)
      misses: 9,
      hitRatio: 2 / 11,
      hitsByTier: { l1: 0, store: 2 },
      stale: 1,
      staleByReason: { revalidate: 0, error: 1, timeout: 0, client: 0 },
      notStored: 1,
      notStoredByReason: { predicate: 1 },
      // p1 p2 p6 p8 p10, and a's plain set of p9 (the holder's write of p9 was refused)
      stores: 6,
      fnRuns: 9,
      fnRunsByReason: { lock: 9, takeover: 0, fallback: 0, 'wait-timeout': 0, pass: 0 },
      fnErrors: 2,
      coalesced: 4,
      lock: { acquired: 9, contended: 0, takeover: 0, lost: 1 },
      fenceRejected: 1,
    } satisfies Partial<Counts>)
    const latency = s.namespaces['preds']!.latency
    expect([latency.hit.count, latency.miss.count, latency.fn.count]).to.deep.equal([2, 9, 9])
    expect(s).to.deep.include({ hits: 4, misses: 12, hitRatio: 4 / 16, stores: 7, errors: 0 })
    expect(s.invalidations).to.deep.equal({ key: 1, namespace: 0, tags: 0, pattern: 0 })
    expect(s.invalidatedEntries).to.equal(1)

    const bStats = b.stats().namespaces['preds']!
    expect(bStats).to.deep.include({
      hits: 0,
      misses: 2,
      stores: 1,
      fnRuns: 1,
      fnRunsByReason: { lock: 0, takeover: 1, fallback: 0, 'wait-timeout': 0, pass: 0 },
      waits: 1,
      waitsByOutcome: { value: 1, error: 0, timeout: 0 },
      wakeups: { message: 1, poll: 0 },
      lock: { acquired: 0, contended: 2, takeover: 1, lost: 0 },
    } satisfies Partial<Counts>)
    expect(bStats.latency.lockWait.count).to.equal(1)

    const metrics = await request(app).get('/cache/status/metrics').expect(200)
    const checked = checkMetrics(metrics.text, doc)
    expect(checked).to.be.above(200)
    const bApp = express().use('/s', statusRouter(b))
    const bMetrics = await request(bApp).get('/s/metrics').expect(200)
    const bDoc = (await request(bApp).get('/s').expect(200)).body as StatusDocument
    checkMetrics(bMetrics.text, bDoc)
  })

  it('counts cacheRoute traffic with no extra wiring: hits, misses, bypasses by reason', async () => {
    const app = express()
    app.use('/cache/status', statusRouter(a))
    let runs = 0
    const route = cacheRoute(a, {
      ttl: '1m',
      namespace: 'matches',
      bypass: (req) => req.headers['x-no-cache'] === '1',
    })
    app.get('/matches/:id', route, (req, res) => {
      runs++
      res.json({ id: req.params['id'] })
    })
    const site = behindStableHost(app)
    await request(site).get('/matches/1').expect(200).expect('X-Cache', 'MISS')
    await request(site).get('/matches/1').expect(200).expect('X-Cache', 'HIT')
    await request(site).get('/matches/1').expect(200).expect('X-Cache', 'HIT')
    await request(site).get('/matches/1').set('X-No-Cache', '1').expect('X-Cache', 'BYPASS')
    expect(runs).to.equal(2)
    const doc = (await request(app).get('/cache/status').expect(200)).body as StatusDocument
    expect(doc.stats.namespaces['matches']).to.deep.include({
      hits: 2,
      misses: 1,
      hitRatio: 2 / 3,
      bypasses: 1,
      bypassesByReason: { client: 1 },
      stores: 1,
      fnRuns: 1,
    } satisfies Partial<Counts>)
    const metrics = await request(app).get('/cache/status/metrics').expect(200)
    checkMetrics(metrics.text, doc)
  })
})
