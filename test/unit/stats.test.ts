import { expect } from 'chai'
import { EventEmitter } from 'node:events'
import {
  createCache,
  DEFAULTS,
  InvalidOptionError,
  MemoryStore,
  OptionRangeError,
  OTHER_NAMESPACE,
  type Cache,
  type CacheEventMap,
  type CacheOptions,
  type NamespaceStatsSnapshot,
  type StatsSnapshot,
} from '../../src/index.js'
import { nextEvent } from '../support/events.js'
import { uniquePrefix } from '../support/redis.js'
import { deferred, sleep } from '../support/wait.js'

/**
 * Every path of a JSON value with its type, not its numbers: the "shape" of a snapshot. A null
 * is a number not measured yet (a percentile before any sample).
 */
function shape(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return [`${path}[${value.length}]`]
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => shape(v, `${path}.${k}`))
  }
  return [`${path}:${value === null ? 'number' : typeof value}`]
}

/** The counters of a namespace without its histograms, for exact comparisons. */
function counts(s: NamespaceStatsSnapshot | undefined): Omit<NamespaceStatsSnapshot, 'latency'> {
  expect(s, 'namespace present').to.not.equal(undefined)
  const { latency: _latency, ...rest } = s!
  return rest
}

/** All-zero counters, overridden by what a test expects. */
function zero(over: Partial<Omit<NamespaceStatsSnapshot, 'latency'>> = {}) {
  return {
    hits: 0,
    misses: 0,
    hitRatio: 0,
    hitsByTier: { l1: 0, store: 0 },
    stale: 0,
    staleByReason: { revalidate: 0, error: 0, timeout: 0, client: 0 },
    bypasses: 0,
    bypassesByReason: {},
    notStored: 0,
    notStoredByReason: {},
    stores: 0,
    storedBytes: 0,
    fnRuns: 0,
    fnRunsByReason: { lock: 0, takeover: 0, fallback: 0, 'wait-timeout': 0, pass: 0 },
    fnErrors: 0,
    fnTimeouts: { soft: 0, hard: 0 },
    coalesced: 0,
    waits: 0,
    waitsByOutcome: { value: 0, error: 0, timeout: 0 },
    wakeups: { message: 0, poll: 0 },
    lock: { acquired: 0, contended: 0, takeover: 0, lost: 0 },
    fenceRejected: 0,
    corrupt: 0,
    ...over,
  }
}

describe('Stats (memory store)', function () {
  this.timeout(60_000)
  let caches: Cache[]
  let store: MemoryStore
  const open = (options: CacheOptions = {}): Cache => {
    const cache = createCache({ store, prefix: 'stats', ...options })
    caches.push(cache)
    return cache
  }

  beforeEach(() => {
    caches = []
    store = new MemoryStore()
  })
  afterEach(async () => {
    await Promise.all(caches.map((cache) => cache.close()))
    await store.close()
  })

  it('counts exactly what a scripted sequence of calls did', async () => {
    const emitter = new EventEmitter()
    const a = open({ emitter })
    const b = open()
    const withL1 = open({ l1: {} })
    await Promise.all([a.ready(), b.ready()])
    const users = { namespace: 'users' }

    // users: 1 store; hits 3 from the store + 1 from L1; misses 3.
    await a.set('u1', { name: 'Ada' }, users)
    expect(await a.get('u1', users)).to.deep.equal({ name: 'Ada' })
    expect(await a.get('u2', users)).to.equal(undefined)
    await a.getMany(['u1', 'u2', 'u3'], users)
    await withL1.get('u1', users)
    await withL1.get('u1', users)

    // preds: p1 miss + hit; p2 one miss and 4 coalesced; p3 not stored; p4 fails.
    const preds = { namespace: 'preds' }
    await a.cacheFn('p1', () => 1, preds)
    await a.cacheFn('p1', () => 1, preds)
    const gate = deferred()
    const gated = async (): Promise<number> => {
      await gate.promise
      return 2
    }
    const five = Array.from({ length: 5 }, () => a.cacheFn('p2', gated, preds))
    gate.resolve()
    await Promise.all(five)
    await a.cacheFn('p3', () => null, { ...preds, shouldCache: (v) => v !== null })
    await a.cacheFn('p4', () => Promise.reject(new Error('no')), preds).catch(() => undefined)

    // p5: stale within staleWhileRevalidate, refreshed in the background (lock, run, store).
    const swr = { ...preds, ttl: 40, staleWhileRevalidate: '1m' } as const
    await a.cacheFn('p5', () => 'v1', swr)
    await sleep(60) // the value must age past its ttl: time by nature
    const refreshed = nextEvent(a, 'cache:set')
    expect(await a.cacheFnResult('p5', () => 'v2', swr)).to.include({ status: 'stale' })
    await refreshed

    // p6: a computes, b finds the lock taken, waits, and is woken by a's message.
    const hold = deferred()
    const holder = a.cacheFn(
      'p6',
      async () => {
        await hold.promise
        return 6
      },
      preds,
    )
    await nextEvent(a, 'lock:acquired')
    const waiter = b.cacheFn('p6', () => -1, preds)
    await nextEvent(b, 'lock:contended')
    hold.resolve()
    expect(await Promise.all([holder, waiter])).to.deep.equal([6, 6])

    // What cacheRoute emits for requests it bypasses or does not store.
    emitter.emit('cache:bypass', { namespace: 'pages', reason: 'method' })
    emitter.emit('cache:bypass', { namespace: 'pages', reason: 'method' })
    emitter.emit('cache:bypass', { namespace: 'pages', reason: 'store-down' })
    emitter.emit('cache:skip', { namespace: 'pages', reason: 'set-cookie' })
    const removed = await a.invalidate({ namespace: 'users' })

    const s = a.stats()
    const userStores = s.namespaces['users']!.storedBytes
    expect(userStores).to.be.above(0)
    expect(counts(s.namespaces['users'])).to.deep.equal(
      zero({
        hits: 2,
        misses: 3,
        hitRatio: 2 / 5,
        hitsByTier: { l1: 0, store: 2 },
        stores: 1,
        storedBytes: userStores,
      }),
    )
    // (withL1 and b count on their own: each cache instance has its own stats.)
    expect(counts(withL1.stats().namespaces['users'])).to.deep.equal(
      zero({ hits: 2, hitRatio: 1, hitsByTier: { l1: 1, store: 1 } }),
    )
    expect(counts(s.namespaces['preds'])).to.deep.include({
      hits: 1,
      misses: 6,
      hitRatio: 1 / 7,
      stale: 1,
      staleByReason: { revalidate: 1, error: 0, timeout: 0, client: 0 },
      notStored: 1,
      notStoredByReason: { predicate: 1 },
      stores: 5,
      fnRuns: 7,
      fnRunsByReason: { lock: 7, takeover: 0, fallback: 0, 'wait-timeout': 0, pass: 0 },
      fnErrors: 1,
      coalesced: 4,
      // 7 acquisitions, including the background refresh of p5.
      lock: { acquired: 7, contended: 0, takeover: 0, lost: 0 },
      waits: 0,
    })
    expect(counts(b.stats().namespaces['preds'])).to.deep.equal(
      zero({
        misses: 1,
        waits: 1,
        waitsByOutcome: { value: 1, error: 0, timeout: 0 },
        wakeups: { message: 1, poll: 0 },
        lock: { acquired: 0, contended: 1, takeover: 0, lost: 0 },
      }),
    )
    expect(counts(s.namespaces['pages'])).to.deep.equal(
      zero({
        bypasses: 3,
        bypassesByReason: { method: 2, 'store-down': 1 },
        notStored: 1,
        notStoredByReason: { 'set-cookie': 1 },
      }),
    )
    const latency = s.namespaces['preds']!.latency
    expect([latency.hit.count, latency.miss.count, latency.fn.count]).to.deep.equal([1, 6, 7])
    expect(b.stats().namespaces['preds']!.latency.lockWait.count).to.equal(1)
    // Totals are the sums over namespaces.
    expect(s).to.include({ hits: 3, misses: 9, hitRatio: 3 / 12, stores: 6, fnRuns: 7 })
    expect(s.storedBytes).to.equal(userStores + s.namespaces['preds']!.storedBytes)
    expect(s.invalidations).to.deep.equal({ key: 0, namespace: 1, tags: 0, pattern: 0 })
    expect(s.invalidatedEntries).to.equal(removed)
  })

  it('counts infrastructure errors by source', async () => {
    const cache = open()
    // A function cannot be serialized: a codec error, the value is still returned.
    const value = { run: () => 1 }
    expect(await cache.cacheFn('fn-valued', () => value, { namespace: 'misc' })).to.equal(value)
    const s = cache.stats()
    expect(s.errorsBySource).to.deep.equal({ store: 0, lock: 0, bus: 0, codec: 1 })
    expect(s.errors).to.equal(1)
    expect(s.namespaces['misc']).to.include({ stores: 0, fnRuns: 1 })
  })

  it('tracks at most maxNamespaces namespaces; the rest are counted under (other)', async () => {
    const cache = open({ stats: { maxNamespaces: 3 } })
    for (let i = 0; i < 10; i++) await cache.get('k', { namespace: `ns${i}` })
    const s = cache.stats()
    expect(Object.keys(s.namespaces)).to.deep.equal([OTHER_NAMESPACE, 'ns0', 'ns1', 'ns2'])
    expect(s.namespaces[OTHER_NAMESPACE]!.misses).to.equal(7)
    expect(s.misses).to.equal(10)
    expect(DEFAULTS.statsMaxNamespaces).to.equal(100)
  })

  it('keeps at most 32 reasons per counter; later ones count as "other"', () => {
    const emitter = new EventEmitter()
    const cache = open({ emitter })
    for (let i = 0; i < 100; i++) {
      emitter.emit('cache:bypass', { namespace: 'pages', reason: `reason-${i}` })
    }
    const { bypasses, bypassesByReason } = cache.stats().namespaces['pages']!
    expect(bypasses).to.equal(100)
    expect(Object.keys(bypassesByReason)).to.have.length(33)
    expect(bypassesByReason['other']).to.equal(68)
  })

  it('stays bounded after a million distinct keys and a million distinct namespaces', async () => {
    const emitter = new EventEmitter()
    const cache = open({ emitter, stats: { maxNamespaces: 10 } })
    const stored = Array.from({ length: 1_000 }, (_, i) => ({ key: `hot:${i}`, value: i }))
    await cache.setMany(stored, { namespace: 'ns0' })
    const batch = async (from: number): Promise<void> => {
      const keys = Array.from({ length: 1_000 }, (_, i) => `key:${from + i}`)
      await cache.getMany(keys, { namespace: `ns${(from / 1_000) % 10}` })
    }
    for (let from = 0; from < 10_000; from += 1_000) await batch(from)
    const early = cache.stats()
    for (let from = 10_000; from < 1_000_000; from += 1_000) await batch(from)
    await cache.getMany(
      stored.map((entry) => entry.key),
      { namespace: 'ns0' },
    )
    for (let i = 0; i < 1_000_000; i++) {
      const payload: CacheEventMap['cache:hit'] = {
        namespace: `/route/${i}`,
        tier: 'store',
        durationMs: (i % 1_000) / 100,
      }
      emitter.emit('cache:hit', payload)
    }
    const late = cache.stats()
    expect(late.misses).to.equal(1_000_000)
    expect(late.hits).to.equal(1_000 + 1_000_000)
    expect(late.namespaces[OTHER_NAMESPACE]!.hits).to.equal(1_000_000)
    expect(Object.keys(late.namespaces)).to.have.length(11)
    // Same shape as after the first thousand keys, bar the (other) bucket: nothing grew.
    const grown = shape(late).filter((p) => !p.startsWith(`.namespaces.${OTHER_NAMESPACE}`))
    expect(grown).to.deep.equal(shape(early))
    expect(JSON.stringify(late).length).to.be.below(40_000)
  })

  it('resetStats() zeroes everything and moves `since`', async () => {
    const cache = open()
    await cache.get('k')
    const before = cache.stats()
    await sleep(5) // `since` has ms resolution
    cache.resetStats()
    const after = cache.stats()
    expect(before.misses).to.equal(1)
    expect(after).to.include({ misses: 0, hits: 0, errors: 0 })
    expect(after.namespaces).to.deep.equal({})
    expect(Date.parse(after.since)).to.be.above(Date.parse(before.since))
  })

  it('with stats: false, listens to nothing and reports zeros with enabled: false', async () => {
    const emitter = new EventEmitter()
    const cache = open({ emitter, stats: false })
    await cache.set('k', 1)
    await cache.get('k')
    const s: StatsSnapshot = cache.stats()
    expect(s).to.include({ enabled: false, hits: 0, stores: 0 })
    expect(emitter.listenerCount('cache:hit')).to.equal(0)
    expect(open().stats().enabled).to.equal(true)
  })

  it('stops listening to an injected emitter on close', async () => {
    const emitter = new EventEmitter()
    const cache = createCache({ emitter, prefix: uniquePrefix('detach') })
    expect(emitter.listenerCount('cache:hit')).to.equal(1)
    await cache.close()
    expect(emitter.listenerCount('cache:hit')).to.equal(0)
  })

  it('validates its options once, naming them', () => {
    const bad: [CacheOptions, new (...args: never[]) => Error, RegExp][] = [
      [{ stats: 'on' as never }, InvalidOptionError, /"stats" must be false or an object/],
      [{ stats: { maxNamespaces: 0 } }, OptionRangeError, /"stats.maxNamespaces"/],
      [{ health: 5 as never }, InvalidOptionError, /"health" must be an object/],
      [{ health: { interval: 'soon' as never } }, InvalidOptionError, /"health.interval"/],
      [{ health: { timeout: -1 } }, OptionRangeError, /"health.timeout"/],
    ]
    for (const [options, type, message] of bad) {
      expect(() => createCache(options)).to.throw(type, message)
    }
    expect(DEFAULTS).to.include({ healthInterval: '2s', healthTimeout: '1s' })
  })
})
