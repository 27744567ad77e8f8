import { expect } from 'chai'
import { nextEvent } from '../../support/events.js'
import { deferred } from '../../support/wait.js'
import { CodedError, type InstanceFactory } from './instances.js'

/** The function's errors: rethrown unchanged, passed to remote waiters, cached only when asked. */
export function describeFailures(instance: InstanceFactory): void {
  describe('failures', () => {
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
  })
}
