import { expect } from 'chai'
import type { Express, Request, Response } from 'express'
import { createClient } from 'redis'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
import { cacheRoute, invalidatePath } from '../../middleware/index.js'
import { EXPRESS_VERSIONS } from '../http/apps.js'
import { record } from '../support/events.js'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'
import { rawClient, type RawClient, type RawReply } from './key-client.js'

/**
 * Attacks on the route key (issue 11, items 8, 9, 12, 16, 18): a request an attacker sends must
 * never get its response stored under a key another user's request maps to, secrets never end up
 * in Redis key names, and every stored entry stays reachable by invalidatePath.
 */
for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`route keys under attack on ${name}`, () => {
    let cache: Cache
    let app: Express
    let client: RawClient | undefined
    let runs: number

    beforeEach(() => {
      cache = createCache({ store: new MemoryStore() })
      app = create()
      runs = 0
    })
    afterEach(async () => {
      await client?.close()
      client = undefined
      await cache.close()
    })

    /** Mount an echo of what the handler observes behind the cache, and listen. */
    async function echo(
      observe: (req: Request) => unknown,
      path: string | RegExp = '/e',
    ): Promise<RawClient> {
      app.get(path, cacheRoute(cache, { ttl: '1m' }), (req: Request, res: Response) => {
        runs++
        res.send(JSON.stringify(observe(req)))
      })
      client = await rawClient(app)
      return client
    }

    /** The second request must get what the handler says about it, not the first one's entry. */
    function expectOwnAnswer(first: RawReply, second: RawReply): void {
      expect(second.headers['x-cache'], `x-cache after ${first.text}`).to.not.equal('HIT')
    }

    describe('item 8: the Host header', () => {
      it('Host: victim.example:@evil.com cannot poison victim.example', async () => {
        const c = await echo((req) => req.get('host'))
        const attack = await c.get('/e', { host: 'victim.example:@evil.com' })
        expect(attack.headers['cache-status']).to.include('detail=invalid-host')
        const victim = await c.get('/e', { host: 'victim.example' })
        expect(victim.text).to.equal('"victim.example"')
      })

      it('keys the port and the case the handler can see', async () => {
        const c = await echo((req) => req.get('host'))
        const hosts = [
          'victim.example:8080',
          'victim.example',
          'Victim.Example',
          'victim.example:80',
        ]
        const replies: RawReply[] = []
        for (const host of hosts) replies.push(await c.get('/e', { host }))
        expect(replies.map((reply) => reply.text)).to.deep.equal(hosts.map((h) => `"${h}"`))
        expect(runs).to.equal(hosts.length)
        expect((await c.get('/e', { host: 'victim.example:8080' })).headers['x-cache']).to.equal(
          'HIT',
        )
      })

      it('never caches a Host that is not host[:port], and says why', async () => {
        const bypasses = record(cache, 'cache:bypass')
        const c = await echo((req) => req.get('host'))
        const invalid = [
          'victim.example:@evil.com',
          'user@victim.example',
          'victim.example/evil',
          'victim.example:80:81',
          'victim.example:x',
          'victim.example:123456',
          '[::1',
          'victim.example\\evil',
          'a,b',
        ]
        for (const host of invalid) {
          for (let i = 0; i < 2; i++) {
            const reply = await c.get('/e', { host })
            expect(reply.headers['x-cache'], host).to.equal('BYPASS')
            expect(reply.headers['cache-status'], host).to.equal(
              'herdlock; fwd=bypass; detail=invalid-host',
            )
            expect(reply.text).to.equal(JSON.stringify(host))
          }
        }
        expect(runs).to.equal(invalid.length * 2)
        expect(bypasses.filter((b) => b.reason === 'invalid-host')).to.have.length(
          invalid.length * 2,
        )
        for (const host of ['[::1]:3000', '127.0.0.1', 'a-b.example:65535', 'svc_1']) {
          await c.get('/e', { host })
          expect((await c.get('/e', { host })).headers['x-cache'], host).to.equal('HIT')
        }
      })

      it('keys the raw forwarded host when trust proxy is on', async () => {
        app.set('trust proxy', true)
        const c = await echo((req) => [req.get('x-forwarded-host'), req.hostname])
        const a = await c.get('/e', { host: 'h.example', 'x-forwarded-host': 'a.example:8443' })
        const b = await c.get('/e', { host: 'h.example', 'x-forwarded-host': 'a.example' })
        expectOwnAnswer(a, b)
        const bad = await c.get('/e', { host: 'h.example', 'x-forwarded-host': 'a.example:@e.com' })
        expect(bad.headers['cache-status']).to.include('detail=invalid-host')
      })
    })

    describe('item 9: the request target', () => {
      const pairs: [string, string, (req: Request) => unknown][] = [
        ['/e?x="><script>', '/e?x=%22%3E%3Cscript%3E', (req) => req.originalUrl],
        ['/e?q=1#x', '/e?q=1%23x', (req) => req.originalUrl],
        ['/e?a=x&a[]=y', '/e?a[]=y&a=x', (req) => req.query],
        ['/e?a=%ff', '/e?a=%EF%BF%BD', (req) => req.query],
        ['/e?a=%ff', '/e?a=%FF', (req) => req.originalUrl],
        ['/e?b=2&a=1', '/e?a=1&b=2', (req) => req.originalUrl],
        ['/e?a=1&a=2', '/e?a=2&a=1', (req) => req.query],
        ['/e?a=%2B', '/e?a=+', (req) => req.query],
        ['/e/%7e', '/e/~', (req) => req.originalUrl],
      ]
      for (const [first, second, observe] of pairs) {
        it(`${first} and ${second} never share an entry`, async () => {
          const c = await echo(observe, /^\/e/)
          const a = await c.get(first)
          expect((await c.get(first)).headers['x-cache']).to.equal('HIT')
          expectOwnAnswer(a, await c.get(second))
        })
      }
    })

    describe('item 16: long paths', () => {
      for (const length of [300, 4_000]) {
        it(`caches a ${length}-character path and invalidates it by path`, async () => {
          const skips = record(cache, 'cache:skip')
          const path = `/e/${'p'.repeat(length)}`
          const c = await echo((req) => req.path.length, /^\/e/)
          expect((await c.get(path)).headers['x-cache']).to.equal('MISS')
          expect((await c.get(path)).headers['x-cache']).to.equal('HIT')
          expect(await invalidatePath(cache, path)).to.equal(1)
          expect((await c.get(path)).headers['x-cache']).to.equal('MISS')
          expect(skips).to.deep.equal([])
        })
      }
    })

    describe('item 18: absolute-form request targets', () => {
      it('invalidatePath reaches entries stored for GET http://host/path', async () => {
        const c = await echo((req) => [req.path, runs])
        const absolute = { host: 'victim.example' }
        await c.get('http://victim.example/e?x=1', absolute)
        expect((await c.get('http://victim.example/e?x=1', absolute)).headers['x-cache']).to.equal(
          'HIT',
        )
        await invalidatePath(cache, '/e')
        const after = await c.get('http://victim.example/e?x=1', absolute)
        expect(after.headers['x-cache']).to.equal('MISS')
        expect(runs).to.equal(2)
      })

      it('an absolute target and an origin-form one never share an entry', async () => {
        const c = await echo((req) => req.originalUrl)
        const a = await c.get('http://victim.example/e', { host: 'victim.example' })
        expectOwnAnswer(a, await c.get('/e', { host: 'victim.example' }))
      })
    })
  })
}

describe('item 12: no credential in a Redis key name', function () {
  this.timeout(20_000)
  const token = 'Bearer s3cr3t-t0ken-abcdef'
  const cookie = 'sid=c00kie-s3cr3t-123'
  let cache: Cache
  let client: RawClient | undefined
  let spy: ReturnType<typeof createClient>
  const commands: string[] = []

  beforeEach(async () => {
    cache = createCache({ redis: sharedRedisUrl(), prefix: uniquePrefix('cred') })
    spy = createClient({ url: sharedRedisUrl() })
    await spy.connect()
    await spy.monitor((line: string) => commands.push(line))
  })
  afterEach(async () => {
    await client?.close()
    client = undefined
    await cache.close()
    spy.destroy()
  })

  for (const { name, create } of EXPRESS_VERSIONS) {
    for (const [header, value] of [
      ['authorization', token],
      ['cookie', cookie],
    ] as const) {
      it(`vary: ['${header}'] keeps the ${header} value out of every key name on ${name}`, async () => {
        commands.length = 0
        const app = create()
        app.get('/me', cacheRoute(cache, { ttl: '1m', vary: [header] }), (_req, res) => {
          res.set('Cache-Control', 'public, max-age=60').send('profile')
        })
        client = await rawClient(app)
        const headers = { host: 'site.example', [header]: value }
        await client.get('/me', headers)
        expect((await client.get('/me', headers)).headers['x-cache']).to.equal('HIT')
        await cache.invalidate({ namespace: 'routes' })
        const secret = value.split(/[ =]/)[1] ?? value
        expect(commands.length).to.be.greaterThan(3)
        const leaked = commands.filter((line) => line.includes(secret))
        expect(
          leaked.length,
          `${leaked.length} commands name the secret: ${leaked[0]?.slice(0, 300)}`,
        ).to.equal(0)
      })
    }
  }
})
