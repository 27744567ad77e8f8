import { expect } from 'chai'
import {
  createCache,
  HardTimeoutError,
  InvalidOptionError,
  OptionRangeError,
  WaitTimeoutError,
  type Cache,
  type CacheOptions,
} from '../../src/index.js'
import { uniquePrefix } from '../support/redis.js'
import { nextEvent, record } from '../support/events.js'
import { deferred, sleep } from '../support/wait.js'

/** Builds caches that share one backend (as instances behind a load balancer would). */
export type InstanceFactory = (overrides?: CacheOptions) => Cache

class CodedError extends Error {
  readonly code = 'E_UPSTREAM'
  constructor(message: string) {
    super(message)
    this.name = 'UpstreamError'
  }
}

/** The cacheFn behaviour, run against the memory store and against Redis + Redlock. */
export function describeFnContract(name: string, backend: () => CacheOptions): void {
  describe(`cacheFn: ${name}`, function () {
    this.timeout(20_000)
    let caches: Cache[]
    let instance: InstanceFactory
    let infraErrors: Error[]

    beforeEach(() => {
      caches = []
      infraErrors = []
      const shared = { ...backend(), prefix: uniquePrefix('fn') }
      instance = (overrides = {}) => {
        const cache = createCache({ ...shared, ...overrides })
        // No test here injects failures: any store or lock error means a silent fallback.
        cache.on('error', ({ error }) => infraErrors.push(error))
        caches.push(cache)
        return cache
      }
    })
    afterEach(async () => {
      await Promise.all(caches.map((cache) => cache.close()))
      expect(infraErrors.map((e) => e.message)).to.deep.equal([])
    })

    it('computes once, then serves the stored value (hit)', async () => {
      const cache = instance()
      let runs = 0
      const fn = (): Promise<{ n: number }> => Promise.resolve({ n: ++runs })
      expect(await cache.cacheFn('k', fn)).to.deep.equal({ n: 1 })
      const result = await cache.cacheFnResult('k', fn)
      expect(result.value).to.deep.equal({ n: 1 })
      expect(result.status).to.equal('hit')
      expect(runs).to.equal(1)
    })

    it('is bound: const { cacheFn } = cache works', async () => {
      const { cacheFn } = instance()
      expect(await cacheFn('bound', () => 42)).to.equal(42)
    })

    it('shares one computation among concurrent callers in a process', async () => {
      const cache = instance()
      const coalesced = record(cache, 'fn:coalesced')
      let runs = 0
      const gate = deferred()
      const fn = async (): Promise<number> => {
        runs++
        await gate.promise
        return 7
      }
      const calls = Array.from({ length: 100 }, () => cache.cacheFn('hot', fn))
      gate.resolve()
      expect(await Promise.all(calls)).to.deep.equal(Array(100).fill(7))
      expect(runs).to.equal(1)
      // Reported once, when the flight settles, for all 99 callers that shared it.
      expect(coalesced.reduce((sum, e) => sum + (e.count ?? 1), 0)).to.equal(99)
    })

    it('computes once across instances; the others are woken by a message', async () => {
      const [a, b, c] = [instance(), instance(), instance()]
      await Promise.all([a, b, c].map((cache) => cache.ready()))
      const woken = [b, c].map((cache) => record(cache, 'fn:woken'))
      let runs = 0
      const started = deferred()
      const release = deferred()
      const fn = async (): Promise<string> => {
        runs++
        started.resolve()
        await release.promise
        return 'computed once'
      }
      const first = a.cacheFn('shared', fn)
      await started.promise
      const waiting = [b.cacheFn('shared', fn), c.cacheFn('shared', fn)]
      await Promise.all([b, c].map((cache) => nextEvent(cache, 'lock:contended')))
      release.resolve()
      expect(await Promise.all([first, ...waiting])).to.deep.equal(Array(3).fill('computed once'))
      expect(runs).to.equal(1)
      const wakes = woken.flat()
      expect(wakes.map((w) => w.by)).to.deep.equal(['message', 'message'])
    })

    it('rethrows the function error unchanged to local callers and never caches it', async () => {
      const cache = instance()
      const boom = new CodedError('upstream down')
      let runs = 0
      const failing = (): Promise<number> => {
        runs++
        return Promise.reject(boom)
      }
      const results = await Promise.allSettled([
        cache.cacheFn('err', failing),
        cache.cacheFn('err', failing),
      ])
      for (const result of results) {
        expect(result.status).to.equal('rejected')
        expect((result as PromiseRejectedResult).reason).to.equal(boom)
      }
      expect(runs).to.equal(1)
      expect(await cache.cacheFn('err', () => 5)).to.equal(5)
    })

    it('passes a failure to waiting instances with the same name, message and code', async () => {
      const [a, b] = [instance(), instance()]
      await Promise.all([a.ready(), b.ready()])
      const started = deferred()
      const release = deferred()
      let runs = 0
      const fn = async (): Promise<number> => {
        runs++
        started.resolve()
        await release.promise
        throw new CodedError('quota exceeded')
      }
      const holder = a.cacheFn('remote-err', fn)
      await started.promise
      const waiter = b.cacheFn('remote-err', fn)
      await nextEvent(b, 'lock:contended')
      release.resolve()
      const [local, remote] = await Promise.allSettled([holder, waiter])
      expect((local as PromiseRejectedResult).reason).to.be.instanceOf(CodedError)
      const error = (remote as PromiseRejectedResult).reason as Error & {
        code: string
        remote: boolean
      }
      expect([error.name, error.message, error.code, error.remote]).to.deep.equal([
        'UpstreamError',
        'quota exceeded',
        'E_UPSTREAM',
        true,
      ])
      expect(runs).to.equal(1)
    })

    it('serves the stale value when the function fails within staleIfError', async () => {
      const cache = instance()
      await cache.cacheFn('sie', () => 'old', { ttl: 30, staleIfError: '1m' })
      await sleep(50)
      const result = await cache.cacheFnResult('sie', () => Promise.reject(new Error('down')), {
        ttl: 30,
        staleIfError: '1m',
      })
      expect(result).to.include({ value: 'old', status: 'stale' })
      await cache
        .cacheFn('sie', () => Promise.reject(new Error('down')), { ttl: 30 })
        .then(() => expect.fail('without staleIfError the error must surface'))
        .catch((error: Error) => expect(error.message).to.equal('down'))
    })

    it('serves stale at once within staleWhileRevalidate and refreshes in the background', async () => {
      const cache = instance()
      const options = { ttl: 40, staleWhileRevalidate: '1m' } as const
      await cache.cacheFn('swr', () => 'v1', options)
      await sleep(60)
      const refreshed = nextEvent(cache, 'cache:set')
      // The refreshed value lives long, so a slow machine cannot see it stale again.
      const stale = await cache.cacheFnResult(
        'swr',
        ({ setOptions }) => {
          setOptions({ ttl: '1m' })
          return 'v2'
        },
        options,
      )
      expect(stale).to.include({ value: 'v1', status: 'stale' })
      await refreshed
      const fresh = await cache.cacheFnResult('swr', () => 'v3', options)
      expect(fresh).to.include({ value: 'v2', status: 'hit' })
    })

    it('refreshes eagerly before expiry, once', async () => {
      const cache = instance()
      let runs = 0
      const fn = (): number => ++runs
      // Past half of a 600 ms life: still fresh, old enough for an eager refresh.
      await cache.cacheFn('eager', fn, { ttl: 600, eagerRefresh: 0.5 })
      await sleep(350)
      const refreshed = nextEvent(cache, 'cache:set')
      expect(
        await Promise.all(
          [1, 2, 3].map(() => cache.cacheFn('eager', fn, { ttl: 600, eagerRefresh: 0.5 })),
        ),
      ).to.deep.equal([1, 1, 1])
      await refreshed
      expect(runs).to.equal(2)
      expect(await cache.cacheFn('eager', fn, { ttl: 600, eagerRefresh: 0.5 })).to.equal(2)
    })

    it('does not store results the predicate rejects, and releases waiters to run themselves', async () => {
      const [a, b] = [instance(), instance()]
      await Promise.all([a.ready(), b.ready()])
      const skips = record(a, 'cache:skip')
      let runs = 0
      const started = deferred()
      const release = deferred()
      const fn = async (): Promise<null> => {
        runs++
        started.resolve()
        await release.promise
        return null
      }
      const options = { shouldCache: (value: null) => value !== null }
      const holder = a.cacheFn('skip', fn, options)
      await started.promise
      const waiter = b.cacheFn('skip', fn, options)
      await nextEvent(b, 'lock:contended')
      release.resolve()
      expect(await Promise.all([holder, waiter])).to.deep.equal([null, null])
      expect(runs).to.equal(2)
      expect(skips.length).to.equal(1)
      expect(await a.getEntry('skip')).to.equal(undefined)
    })

    it('stores "not found" results with their own ttl', async () => {
      const cache = instance()
      await cache.cacheFn('nf', () => null, { ttl: '1h', notFoundTtl: 40 })
      const entry = await cache.getEntry('nf')
      expect(entry!.freshUntil - entry!.createdAt).to.equal(40)
      await cache.cacheFn('found', () => 1, { ttl: '1h', notFoundTtl: 40 })
      const found = await cache.getEntry('found')
      expect(found!.freshUntil - found!.createdAt).to.equal(3_600_000)
    })

    it('caches failures only when errorTtl asks for it', async () => {
      const cache = instance()
      let runs = 0
      const failing = (): Promise<number> => {
        runs++
        return Promise.reject(new CodedError('nope'))
      }
      await cache.cacheFn('cached-err', failing, { errorTtl: '1m' }).catch(() => undefined)
      const again = await cache
        .cacheFn('cached-err', failing, { errorTtl: '1m' })
        .catch((e: Error) => e)
      expect(runs).to.equal(1)
      expect(again).to.include({ name: 'UpstreamError', message: 'nope', code: 'E_UPSTREAM' })
    })

    it('applies a hard timeout: typed error, aborted signal, nothing stored', async () => {
      const cache = instance()
      let aborted: unknown
      const slow = ({ signal }: { signal: AbortSignal }): Promise<number> =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason
            resolve(1)
          })
        })
      const error = await cache.cacheFn('hard', slow, { hardTimeout: 50 }).catch((e: unknown) => e)
      expect(error).to.be.instanceOf(HardTimeoutError)
      expect(aborted).to.be.instanceOf(HardTimeoutError)
      expect(await cache.getEntry('hard')).to.equal(undefined)
    })

    it('serves stale after a soft timeout and stores the late result', async () => {
      const cache = instance()
      const options = { ttl: 30, staleIfError: '1m', timeout: 30 } as const
      await cache.cacheFn('soft', () => 'old', options)
      await sleep(50)
      const finish = deferred()
      const stored = nextEvent(cache, 'cache:set')
      const result = await cache.cacheFnResult(
        'soft',
        async ({ setOptions }) => {
          await finish.promise
          setOptions({ ttl: '1m' }) // so the check below cannot find it expired on a slow machine
          return 'new'
        },
        options,
      )
      expect(result).to.include({ value: 'old', status: 'stale' })
      finish.resolve()
      await stored
      expect(await cache.get('soft')).to.equal('new')
    })

    it('lets one caller stop waiting with a signal while the others get the value', async () => {
      const cache = instance()
      const gate = deferred()
      const controller = new AbortController()
      const fn = async (): Promise<string> => {
        await gate.promise
        return 'done'
      }
      const patient = cache.cacheFn('sig', fn)
      const impatient = cache.cacheFn('sig', fn, { signal: controller.signal })
      controller.abort(new Error('client went away'))
      const error = await impatient.catch((e: Error) => e)
      expect((error as Error).message).to.equal('client went away')
      gate.resolve()
      expect(await patient).to.equal('done')
    })

    it('bounds every wait: throws WaitTimeoutError or runs itself, as asked', async () => {
      const [a, b] = [instance(), instance()]
      const gate = deferred()
      let runs = 0
      const slow = async (): Promise<string> => {
        runs++
        await gate.promise
        return 'slow'
      }
      const holder = a.cacheFn('wait', slow)
      await nextEvent(a, 'lock:acquired')
      const thrown = await b
        .cacheFn('wait', slow, { waitTimeout: 80, onWaitTimeout: 'throw' })
        .catch((e: unknown) => e)
      expect(thrown).to.be.instanceOf(WaitTimeoutError)
      const ran = await b.cacheFn('wait', () => 'mine', { waitTimeout: 80 })
      expect(ran).to.equal('mine')
      gate.resolve()
      expect(await holder).to.equal('slow')
      expect(runs).to.equal(1)
      // The holder's write carries an older fence than the waiter's, so it is refused.
      expect(await b.get('wait')).to.equal('mine')
    })

    it('rejects a late write from an older computation (fenced writes)', async () => {
      const cache = instance()
      const gate = deferred()
      const rejected = record(cache, 'fence:rejected')
      const old = cache.cacheFn('fence', async () => {
        await gate.promise
        return 'stale computation'
      })
      await nextEvent(cache, 'lock:acquired')
      await cache.set('fence', 'newer value')
      gate.resolve()
      expect(await old).to.equal('stale computation')
      expect(await cache.get('fence')).to.equal('newer value')
      expect(rejected.length).to.equal(1)
    })

    it('tags computed values for invalidation', async () => {
      const cache = instance()
      await cache.cacheFn('t1', () => 1, { tags: ['match:9'] })
      expect(await cache.invalidate({ tags: ['match:9'] })).to.equal(1)
      expect(await cache.cacheFn('t1', () => 2, { tags: ['match:9'] })).to.equal(2)
    })

    it('rejects bad arguments with typed errors', async () => {
      const cache = instance()
      const bad = [
        cache.cacheFn('k', 'not a function' as never),
        cache.cacheFn('k', () => 1, { ttl: 'soon' as never }),
        cache.cacheFn('k', () => 1, { eagerRefresh: 2 }),
        cache.cacheFn('k', () => 1, { onWaitTimeout: 'retry' as never }),
        cache.cacheFn('', () => 1),
      ]
      const errors = await Promise.all(
        bad.map((p) =>
          p.then(
            () => undefined,
            (e: unknown) => e,
          ),
        ),
      )
      expect(errors[0]).to.be.instanceOf(InvalidOptionError)
      expect(errors[1]).to.be.instanceOf(InvalidOptionError)
      expect(errors[2]).to.be.instanceOf(OptionRangeError)
      expect(errors[3]).to.be.instanceOf(InvalidOptionError)
      expect(errors[4]).to.be.instanceOf(TypeError)
    })
  })
}
