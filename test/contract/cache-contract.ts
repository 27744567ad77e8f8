import { expect } from 'chai'
import { createCache, type Cache, type CacheOptions } from '../../src/index.js'
import { InvalidKeyError, OptionRangeError, SerializationError } from '../../src/errors.js'
import { uniquePrefix } from '../support/redis.js'
import { sleep } from '../support/wait.js'

/** The facade's behaviour, run against the memory store and against Redis. */
export function describeCacheContract(name: string, base: () => CacheOptions): void {
  describe(`Cache facade: ${name}`, () => {
    let cache: Cache
    let other: Cache | undefined

    beforeEach(() => {
      cache = createCache({ ...base(), prefix: uniquePrefix('cache') })
    })
    afterEach(async () => {
      await cache.close()
      await other?.close()
      other = undefined
    })

    it('gets what it sets, per namespace, with exact types', async () => {
      const value = { when: new Date(7), ids: new Set([1, 2]), n: 10n, bin: Buffer.from([0, 255]) }
      await cache.set('k', value, { namespace: 'a', ttl: '1m' })
      expect(await cache.get('k', { namespace: 'a' })).to.deep.equal(value)
      expect(await cache.get('k', { namespace: 'b' })).to.equal(undefined)
      expect(await cache.get('k')).to.equal(undefined)
    })

    it('caches falsy values and tells them from misses with getEntry', async () => {
      for (const [key, value] of [
        ['zero', 0],
        ['empty', ''],
        ['no', false],
        ['nil', null],
        ['undef', undefined],
      ] as const) {
        await cache.set(key, value)
        const entry = await cache.getEntry(key)
        expect(entry, key).to.not.equal(undefined)
        expect(entry!.value).to.equal(value)
      }
      expect(await cache.getEntry('absent')).to.equal(undefined)
    })

    it('returns a stale entry within its stale window only when asked to', async () => {
      await cache.cacheFn('kept', () => 'old', { ttl: 50, staleIfError: '1m' })
      await cache.set('gone', 'x', { ttl: 50 })
      await sleep(80)
      expect(await cache.getEntry('kept')).to.equal(undefined)
      const stale = await cache.getEntry<string>('kept', { stale: true })
      expect(stale?.value).to.equal('old')
      expect(stale!.freshUntil).to.be.below(Date.now())
      expect(stale!.staleUntil).to.be.above(Date.now())
      // No stale window: nothing to return, stale or not.
      expect(await cache.getEntry('gone', { stale: true })).to.equal(undefined)
      expect(await cache.getEntry('absent', { stale: true })).to.equal(undefined)
    })

    it('expires entries after their ttl', async () => {
      await cache.set('short', 1, { ttl: 300 })
      expect(await cache.get('short')).to.equal(1)
      await sleep(350)
      expect(await cache.get('short')).to.equal(undefined)
    })

    it('deletes keys and reports whether they existed', async () => {
      await cache.set('d', 1)
      expect(await cache.delete('d')).to.equal(true)
      expect(await cache.delete('d')).to.equal(false)
      expect(await cache.get('d')).to.equal(undefined)
    })

    it('reads and writes many keys at once', async () => {
      await cache.setMany<unknown>(
        [
          { key: 'a', value: 1 },
          { key: 'b', value: { x: 2 }, ttl: '1h', tags: ['t'] },
        ],
        { namespace: 'm' },
      )
      expect(await cache.getMany(['b', 'zz', 'a'], { namespace: 'm' })).to.deep.equal([
        { x: 2 },
        undefined,
        1,
      ])
      expect(await cache.getMany([], { namespace: 'm' })).to.deep.equal([])
      expect(await cache.invalidate({ tags: ['t'] })).to.equal(1)
      expect(await cache.getMany(['a', 'b'], { namespace: 'm' })).to.deep.equal([1, undefined])
    })

    it('invalidates one key, a whole namespace (only it), or a pattern', async () => {
      await cache.setMany<unknown>(
        [1, 2, 3].map((i) => ({ key: `user:${i}`, value: i })),
        { namespace: 'users' },
      )
      await cache.set('user:1', 'x', { namespace: 'usersX' })
      await cache.set('user:1', 'y', { namespace: 'users:x' })
      expect(await cache.invalidate({ key: 'user:1', namespace: 'users' })).to.equal(1)
      expect(await cache.get('user:1', { namespace: 'users' })).to.equal(undefined)
      expect(await cache.invalidate({ namespace: 'users' })).to.equal(2)
      expect(await cache.getMany(['user:2', 'user:3'], { namespace: 'users' })).to.deep.equal([
        undefined,
        undefined,
      ])
      expect(await cache.get('user:1', { namespace: 'usersX' })).to.equal('x')
      expect(await cache.get('user:1', { namespace: 'users:x' })).to.equal('y')
      await cache.setMany<unknown>(
        ['a[1]', 'a[2]', 'a*', 'b1'].map((key) => ({ key, value: key })),
        { namespace: 'p' },
      )
      expect(await cache.invalidate({ pattern: 'a[*', namespace: 'p' })).to.equal(2)
      expect(await cache.getMany(['a[1]', 'a*', 'b1'], { namespace: 'p' })).to.deep.equal([
        undefined,
        'a*',
        'b1',
      ])
      expect(await cache.invalidate({ pattern: 'a?', namespace: 'p' })).to.equal(1)
    })

    it('invalidates by tags across namespaces', async () => {
      await cache.set('m1', 1, { namespace: 'matches', tags: ['team:7', 'league:1'] })
      await cache.set('p1', 2, { namespace: 'predictions', tags: ['team:7'] })
      await cache.set('p2', 3, { namespace: 'predictions', tags: ['team:8'] })
      expect(await cache.invalidate({ tags: ['team:7'] })).to.equal(2)
      expect(await cache.get('m1', { namespace: 'matches' })).to.equal(undefined)
      expect(await cache.get('p1', { namespace: 'predictions' })).to.equal(undefined)
      expect(await cache.get('p2', { namespace: 'predictions' })).to.equal(3)
      expect(await cache.invalidate({ tags: ['league:1'] })).to.equal(0)
    })

    it('keeps tags longer than 256 characters under their digest: stored, and invalidated by the same tag', async () => {
      const long = `ids:${'7,'.repeat(200)}`
      const sibling = `${long}8` // same first 256 characters
      await cache.set('a', 1, { tags: [long] })
      const b = await cache.cacheFn('b', () => 2, { tags: [sibling] })
      expect(b).to.equal(2)
      const tags = (await cache.getEntry('a'))?.tags ?? []
      expect(tags).to.have.length(1)
      expect(tags[0]).to.match(/^#sha256:[\w-]{43}$/)
      expect(await cache.invalidate({ tags: [long] })).to.equal(1)
      expect(await cache.get('a')).to.equal(undefined)
      expect(await cache.get('b')).to.equal(2)
      expect(await cache.invalidate({ tags: [sibling] })).to.equal(1)
    })

    it('shares entries and invalidations between instances with the same prefix', async () => {
      const options = base()
      const prefix = uniquePrefix('shared')
      await cache.close()
      cache = createCache({ ...options, prefix })
      other = createCache({ ...options, prefix })
      await cache.set('k', 'v', { namespace: 'n' })
      expect(await other.get('k', { namespace: 'n' })).to.equal('v')
      await other.invalidate({ namespace: 'n' })
      expect(await cache.get('k', { namespace: 'n' })).to.equal(undefined)
    })

    it('rejects bad input with typed errors and stores nothing', async () => {
      await expectRejection(cache.set('', 1), InvalidKeyError)
      await expectRejection(
        cache.set('k', () => 1),
        SerializationError,
      )
      await expectRejection(cache.set('k', 1, { ttl: -5 }), OptionRangeError)
      await expectRejection(cache.set('k', 1, { tags: [''] }), InvalidKeyError)
      await expectRejection(cache.get('k', { namespace: '' }), InvalidKeyError)
      await expectRejection(cache.invalidate({} as never), InvalidKeyError)
      await expectRejection(cache.invalidate({ tags: [] }), InvalidKeyError)
      expect(await cache.get('k')).to.equal(undefined)
    })

    it('refuses calls after close, and close is idempotent', async () => {
      await cache.close()
      await cache.close()
      let error: unknown
      try {
        await cache.get('k')
      } catch (caught) {
        error = caught
      }
      expect((error as { code?: string }).code).to.equal('E_CLOSED')
    })
  })
}

async function expectRejection(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
): Promise<void> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(type)
    return
  }
  expect.fail(`expected a ${type.name}`)
}
