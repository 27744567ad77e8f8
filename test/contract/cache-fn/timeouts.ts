import { expect } from 'chai'
import { HardTimeoutError, WaitTimeoutError } from '../../../src/index.js'
import { nextEvent } from '../../support/events.js'
import { deferred, sleep } from '../../support/wait.js'
import type { InstanceFactory } from './instances.js'

/** Every call is bounded: hard and soft timeouts, a caller's own signal, the wait for another holder. */
export function describeTimeouts(instance: InstanceFactory): void {
  describe('timeouts and waits', () => {
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
      // The waiter that timed out computed under the holder's fence, not a newer one (issue 12,
      // defect 2): the live holder's write is not refused; it lands last.
      expect(await b.get('wait')).to.equal('slow')
    })
  })
}
