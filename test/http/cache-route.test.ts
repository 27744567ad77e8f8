import { expect } from 'chai'
import { Readable } from 'node:stream'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import request from 'supertest'
import type { Express, Request, Response } from 'express'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
import { cacheRoute, invalidatePath, tagResponse } from '../../middleware/index.js'
import { EXPRESS_VERSIONS } from './apps.js'

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`cacheRoute on ${name}`, () => {
    let cache: Cache
    let app: Express
    let runs: number

    beforeEach(() => {
      cache = createCache({ store: new MemoryStore() })
      app = create()
      runs = 0
    })
    afterEach(() => cache.close())

    const count =
      (send: (req: Request, res: Response) => void) => (req: Request, res: Response) => {
        runs++
        send(req, res)
      }

    it('stores a GET and replays it byte for byte with Age, X-Cache and Cache-Status', async () => {
      app.get(
        '/m/:id',
        cacheRoute(cache, { ttl: '1m' }),
        count((req, res) => {
          res.set('X-Custom', 'yes').json({ id: req.params['id'], n: runs })
        }),
      )
      const miss = await request(app).get('/m/7').expect(200)
      expect(miss.headers['x-cache']).to.equal('MISS')
      expect(miss.headers['cache-status']).to.match(/^herdlock; fwd=uri-miss/)
      const hit = await request(app).get('/m/7').expect(200)
      expect(hit.headers['x-cache']).to.equal('HIT')
      expect(hit.headers['cache-status']).to.match(/^herdlock; hit; ttl=\d+$/)
      expect(hit.headers['age']).to.match(/^\d+$/)
      expect(hit.headers['x-custom']).to.equal('yes')
      expect(hit.headers['content-type']).to.equal(miss.headers['content-type'])
      expect(hit.text).to.equal(miss.text)
      expect(runs).to.equal(1)
    })

    it('keys by the raw target (query order kept), the host, never the method', async () => {
      app.all(
        '/q',
        cacheRoute(cache),
        count((req, res) => res.send(`${req.method} ${req.originalUrl} #${runs}`)),
      )
      await request(app).get('/q?a=1&b=2').expect(200)
      expect((await request(app).get('/q?a=1&b=2')).headers['x-cache']).to.equal('HIT')
      // The handler sees originalUrl: another order is another request.
      expect((await request(app).get('/q?b=2&a=1')).headers['x-cache']).to.equal('MISS')
      expect((await request(app).get('/q?a=1&a=2')).headers['x-cache']).to.equal('MISS')
      expect((await request(app).get('/q?a=2&a=1')).headers['x-cache']).to.equal('MISS')
      expect(
        (await request(app).get('/q?a=1&b=2').set('Host', 'other.example')).headers['x-cache'],
      ).to.equal('MISS')
      const post = await request(app).post('/q?a=1&b=2').expect(200)
      expect(post.headers['x-cache']).to.equal('BYPASS')
      expect(post.text).to.match(/^POST/)
      expect((await request(app).get('/q?a=1&b=2')).text).to.match(/^GET .* #1$/)
    })

    it('cannot be poisoned by crafted query strings or unkeyed headers', async () => {
      app.get(
        '/p',
        cacheRoute(cache),
        count((req, res) => {
          res.send(`host=${req.hostname} q=${JSON.stringify(req.query)}`)
        }),
      )
      await request(app).get('/p?a=1%26b=2').expect(200)
      const split = await request(app).get('/p?a=1&b=2')
      expect(split.headers['x-cache']).to.equal('MISS')
      const forwarded = await request(app).get('/p?x=1').set('X-Forwarded-Host', 'evil.example')
      expect(forwarded.text).to.not.include('evil')
      const plain = await request(app).get('/p?x=1')
      expect(plain.headers['x-cache']).to.equal('HIT')
      expect(plain.text).to.not.include('evil')
    })

    it('keys by the forwarded host and protocol when trust proxy is on', async () => {
      app.set('trust proxy', true)
      app.get(
        '/t',
        cacheRoute(cache),
        count((req, res) => res.send(`${req.protocol}://${req.hostname}`)),
      )
      const a = await request(app).get('/t').set('X-Forwarded-Host', 'a.example')
      const b = await request(app).get('/t').set('X-Forwarded-Host', 'b.example')
      const aHttps = await request(app)
        .get('/t')
        .set('X-Forwarded-Host', 'a.example')
        .set('X-Forwarded-Proto', 'https')
      expect([a.text, b.text, aHttps.text]).to.deep.equal([
        'http://a.example',
        'http://b.example',
        'https://a.example',
      ])
      expect(
        (await request(app).get('/t').set('X-Forwarded-Host', 'a.example')).headers['x-cache'],
      ).to.equal('HIT')
    })

    it('keys a sub-app by the forwarded host when its parent trusts proxies, and the Host as sent (port and case) otherwise', async () => {
      const sub = create()
      sub.get(
        '/s',
        cacheRoute(cache),
        count((req, res) => res.send(`${req.protocol}://${req.hostname}`)),
      )
      app.set('trust proxy', true)
      app.use('/sub', sub)
      const a = await request(app).get('/sub/s').set('X-Forwarded-Host', 'a.example')
      const b = await request(app).get('/sub/s').set('X-Forwarded-Host', 'b.example')
      expect([a.text, b.text]).to.deep.equal(['http://a.example', 'http://b.example'])
      expect(runs).to.equal(2)

      const direct = create()
      direct.get(
        '/d',
        cacheRoute(cache),
        count((req, res) => res.send(req.hostname)),
      )
      await request(direct).get('/d').set('Host', 'Shop.Example:8080').expect(200)
      const same = await request(direct).get('/d').set('Host', 'Shop.Example:8080')
      expect(same.headers['x-cache']).to.equal('HIT')
      for (const host of ['shop.example', 'shop.example:8080', 'Shop.Example']) {
        const differs = await request(direct).get('/d').set('Host', host)
        expect(differs.headers['x-cache'], host).to.equal('MISS')
      }
      const other = await request(direct).get('/d').set('Host', 'other.example')
      expect(other.headers['x-cache']).to.equal('MISS')
      const v6 = await request(direct).get('/d').set('Host', '[::1]:3000')
      expect([v6.headers['x-cache'], v6.text]).to.deep.equal(['MISS', '[::1]'])
    })

    it('answers HEAD from the GET entry without a body, and never stores from HEAD', async () => {
      app.get(
        '/h',
        cacheRoute(cache),
        count((_req, res) => res.send('body')),
      )
      const headMiss = await request(app).head('/h').expect(200)
      expect(headMiss.headers['x-cache']).to.equal('BYPASS')
      expect((await request(app).get('/h')).headers['x-cache']).to.equal('MISS')
      const head = await request(app).head('/h').expect(200)
      expect(head.headers['x-cache']).to.equal('HIT')
      expect(head.headers['content-length']).to.equal('4')
      expect(head.text ?? '').to.equal('')
    })

    it('stores binary bodies, streamed writes, piped streams and sendFile exactly', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
      const dir = mkdtempSync(join(tmpdir(), 'herdlock-'))
      const file = join(dir, 'data.bin')
      writeFileSync(file, Buffer.concat([bytes, bytes]))
      try {
        app.get(
          '/bin',
          cacheRoute(cache),
          count((_req, res) => res.type('application/octet-stream').send(bytes)),
        )
        app.get(
          '/write',
          cacheRoute(cache),
          count((_req, res) => {
            res.type('text/plain').write('a')
            res.write(Buffer.from('b'))
            res.end('c')
          }),
        )
        app.get(
          '/pipe',
          cacheRoute(cache),
          count((_req, res) => {
            res.type('application/octet-stream')
            Readable.from([bytes.subarray(0, 100), bytes.subarray(100)]).pipe(res)
          }),
        )
        app.get(
          '/file',
          cacheRoute(cache),
          count((_req, res) => res.sendFile(file)),
        )
        for (const path of ['/bin', '/write', '/pipe', '/file']) {
          const miss = await request(app)
            .get(path)
            .buffer(true)
            .parse(binary as never)
            .expect(200)
          const hit = await request(app)
            .get(path)
            .buffer(true)
            .parse(binary as never)
            .expect(200)
          expect(hit.headers['x-cache'], path).to.equal('HIT')
          expect(Buffer.compare(hit.body as Buffer, miss.body as Buffer), path).to.equal(0)
        }
        expect(runs).to.equal(4)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })

    it('never stores Set-Cookie responses, and never replays a cookie to anyone', async () => {
      app.get(
        '/c',
        cacheRoute(cache),
        count((_req, res) => res.cookie('sid', `secret-${runs}`).send('hi')),
      )
      const first = await request(app).get('/c')
      const second = await request(app).get('/c')
      expect(first.headers['set-cookie']?.[0]).to.match(/sid=secret-1/)
      expect(second.headers['set-cookie']?.[0]).to.match(/sid=secret-2/)
      expect(second.headers['x-cache']).to.equal('MISS')
      expect(runs).to.equal(2)
    })

    it('never stores private, no-store, no-cache, Vary: * or partial responses', async () => {
      const cases: [string, (res: Response) => void][] = [
        ['/private', (res) => res.set('Cache-Control', 'private, max-age=60').send('x')],
        ['/no-store', (res) => res.set('Cache-Control', 'no-store').send('x')],
        ['/no-cache', (res) => res.set('Cache-Control', 'no-cache').send('x')],
        ['/vary-star', (res) => res.set('Vary', '*').send('x')],
        ['/partial', (res) => res.status(206).send('x')],
        ['/error', (res) => res.status(500).send('x')],
        ['/missing', (res) => res.status(404).send('x')],
      ]
      for (const [path, send] of cases)
        app.get(
          path,
          cacheRoute(cache),
          count((_req, res) => send(res)),
        )
      for (const [path] of cases) {
        await request(app).get(path)
        const again = await request(app).get(path)
        expect(again.headers['x-cache'], path).to.equal('MISS')
      }
      expect(runs).to.equal(cases.length * 2)
    })

    it('stores permanent redirects, and honours statuses, maxBodySize and unless', async () => {
      app.get(
        '/moved',
        cacheRoute(cache),
        count((_req, res) => res.redirect(301, '/new')),
      )
      app.get(
        '/big',
        cacheRoute(cache, { maxBodySize: 10 }),
        count((_req, res) => res.send('x'.repeat(11))),
      )
      app.get(
        '/unless',
        cacheRoute(cache, { unless: (_req, res) => res.getHeader('x-skip') === '1' }),
        count((_req, res) => res.set('x-skip', '1').send('x')),
      )
      app.get(
        '/gone',
        cacheRoute(cache, { statuses: [200, 410] }),
        count((_req, res) => res.status(410).send('gone')),
      )
      for (const path of ['/moved', '/big', '/unless', '/gone']) await request(app).get(path)
      expect((await request(app).get('/moved')).headers['x-cache']).to.equal('HIT')
      expect((await request(app).get('/big')).headers['x-cache']).to.equal('MISS')
      expect((await request(app).get('/unless')).headers['x-cache']).to.equal('MISS')
      expect((await request(app).get('/gone')).headers['x-cache']).to.equal('HIT')
    })

    it('keeps requests with Authorization off shared entries unless the response is public', async () => {
      app.get(
        '/me',
        cacheRoute(cache),
        count((req, res) => res.send(`user:${req.headers.authorization ?? 'anonymous'}`)),
      )
      app.get(
        '/pub',
        cacheRoute(cache),
        count((req, res) =>
          res
            .set('Cache-Control', 'public, max-age=60')
            .send(`pub:${req.headers.authorization ?? 'anonymous'}`),
        ),
      )
      await request(app).get('/me')
      const alice = await request(app).get('/me').set('Authorization', 'Bearer alice')
      expect(alice.text).to.equal('user:Bearer alice')
      expect(alice.headers['x-cache']).to.equal('BYPASS')
      expect((await request(app).get('/me')).text).to.equal('user:anonymous')
      await request(app).get('/pub').set('Authorization', 'Bearer bob')
      const anon = await request(app).get('/pub')
      expect(anon.headers['x-cache']).to.equal('HIT')
      expect(
        (await request(app).get('/pub').set('Authorization', 'Bearer carol')).headers['x-cache'],
      ).to.equal('HIT')
    })

    it('shares Authorization requests per user when the key includes the user', async () => {
      app.get(
        '/per-user',
        cacheRoute(cache, { vary: ['authorization'] }),
        count((req, res) => res.send(`user:${req.headers.authorization}`)),
      )
      await request(app).get('/per-user').set('Authorization', 'Bearer alice')
      const bob = await request(app).get('/per-user').set('Authorization', 'Bearer bob')
      expect(bob.text).to.equal('user:Bearer bob')
      const alice = await request(app).get('/per-user').set('Authorization', 'Bearer alice')
      expect(alice.headers['x-cache']).to.equal('HIT')
      expect(alice.text).to.equal('user:Bearer alice')
    })

    it('answers conditional requests with 304 and the headers RFC 9110 requires', async () => {
      app.get(
        '/etag',
        cacheRoute(cache),
        count((_req, res) => res.set('Cache-Control', 'max-age=60').send('versioned')),
      )
      const full = await request(app).get('/etag')
      const etag = full.headers['etag'] as string
      expect(etag).to.be.a('string')
      const strongList = await request(app)
        .get('/etag')
        .set('If-None-Match', `"nope", ${etag.replace(/^W\//, '')}`)
      expect(strongList.status).to.equal(304)
      expect(strongList.headers['etag']).to.equal(etag)
      expect(strongList.headers['cache-control']).to.equal('max-age=60')
      expect(strongList.headers['age']).to.match(/^\d+$/)
      expect((await request(app).get('/etag').set('If-None-Match', '*')).status).to.equal(304)
      expect((await request(app).get('/etag').set('If-None-Match', '"other"')).status).to.equal(200)
      const later = new Date(Date.now() + 60_000).toUTCString()
      expect((await request(app).get('/etag').set('If-Modified-Since', later)).status).to.equal(304)
      expect(
        (await request(app).get('/etag').set('If-Modified-Since', new Date(0).toUTCString()))
          .status,
      ).to.equal(200)
      expect(runs).to.equal(1)
    })

    it('stores the full response when a conditional request misses', async () => {
      app.get(
        '/cond',
        cacheRoute(cache),
        count((_req, res) => res.send('full body')),
      )
      const first = await request(app).get('/cond').set('If-None-Match', '"whatever"')
      expect(first.status).to.equal(200)
      const hit = await request(app).get('/cond')
      expect(hit.headers['x-cache']).to.equal('HIT')
      expect(hit.text).to.equal('full body')
    })

    it('stores variants for the response Vary header', async () => {
      app.get(
        '/lang',
        cacheRoute(cache),
        count((req, res) =>
          res.vary('Accept-Language').send(`hello in ${req.headers['accept-language']}`),
        ),
      )
      const en = await request(app).get('/lang').set('Accept-Language', 'en')
      const fr = await request(app).get('/lang').set('Accept-Language', 'fr')
      expect([en.text, fr.text]).to.deep.equal(['hello in en', 'hello in fr'])
      const enAgain = await request(app).get('/lang').set('Accept-Language', 'en')
      expect(enAgain.headers['x-cache']).to.equal('HIT')
      expect(enAgain.text).to.equal('hello in en')
      expect((await request(app).get('/lang').set('Accept-Language', 'fr')).text).to.equal(
        'hello in fr',
      )
      expect(runs).to.equal(2)
    })

    it('ignores client attempts to force a refresh or bypass, unless a predicate allows them', async () => {
      app.get(
        '/f',
        cacheRoute(cache, { refresh: (req) => req.headers['x-admin'] === 'yes' }),
        count((_req, res) => res.send(`v${runs}`)),
      )
      await request(app).get('/f')
      const forced = await request(app)
        .get('/f')
        .set('Cache-Control', 'no-cache')
        .set('Pragma', 'no-cache')
      expect(forced.text).to.equal('v1')
      const admin = await request(app).get('/f').set('x-admin', 'yes')
      expect(admin.text).to.equal('v2')
      expect((await request(app).get('/f')).text).to.equal('v2')
    })

    it('invalidates by tags (Cache-Tag and tagResponse), by path, and after unsafe requests', async () => {
      app.get(
        '/tagged/:id',
        cacheRoute(cache),
        count((req, res) => {
          tagResponse(res, `match:${String(req.params['id'])}`)
          res.set('Cache-Tag', 'matches').send(`m${runs}`)
        }),
      )
      app.post('/tagged/:id', cacheRoute(cache, { invalidateOnUnsafe: true }), (_req, res) =>
        res.status(204).end(),
      )
      await request(app).get('/tagged/1')
      await request(app).get('/tagged/2')
      expect(await cache.invalidate({ tags: ['match:1'] })).to.equal(1)
      expect((await request(app).get('/tagged/1')).headers['x-cache']).to.equal('MISS')
      expect((await request(app).get('/tagged/2')).headers['x-cache']).to.equal('HIT')
      expect(await cache.invalidate({ tags: ['matches'] })).to.equal(2)
      await request(app).get('/tagged/1')
      expect(await invalidatePath(cache, '/tagged/1')).to.equal(1)
      expect((await request(app).get('/tagged/1')).headers['x-cache']).to.equal('MISS')
      await request(app).post('/tagged/1').expect(204)
      expect((await request(app).get('/tagged/1')).headers['x-cache']).to.equal('MISS')
    })

    it("takes the entry's lifetime from the origin with originTtl (s-maxage first)", async () => {
      app.get(
        '/o',
        cacheRoute(cache, { ttl: '1h', originTtl: true }),
        count((_req, res) => res.set('Cache-Control', 'max-age=600, s-maxage=30').send('o')),
      )
      app.get(
        '/d',
        cacheRoute(cache, { ttl: '1h', originTtl: true }),
        count((_req, res) => res.send('d')),
      )
      await request(app).get('/o')
      await request(app).get('/d')
      const o = await request(app).get('/o')
      expect(o.headers['cache-control']).to.equal('max-age=600, s-maxage=30')
      expect(Number(/ttl=(\d+)/.exec(o.headers['cache-status'] as string)?.[1])).to.be.within(
        25,
        30,
      )
      const d = await request(app).get('/d')
      expect(Number(/ttl=(\d+)/.exec(d.headers['cache-status'] as string)?.[1])).to.be.within(
        3_590,
        3_600,
      )
    })
  })
}

function binary(
  res: NodeJS.ReadableStream,
  done: (error: Error | null, body: Buffer) => void,
): void {
  const chunks: Buffer[] = []
  res.on('data', (chunk: Buffer) => chunks.push(chunk))
  res.on('end', () => done(null, Buffer.concat(chunks)))
}
