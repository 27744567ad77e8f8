import { expect } from 'chai'
import request from 'supertest'
import type { Request, Response } from 'express'
import { cacheRoute, type CacheRouteOptions } from '../../middleware/index.js'
import { EXPRESS_VERSIONS, useMemoryRoutes } from './apps.js'

/**
 * Review 3 guards (these hold): the language index never crosses credentials, unshareable
 * responses, extra Vary fields, ties, wildcards or q=0.
 */

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`review3: language index guards on ${name}`, () => {
    const t = useMemoryRoutes(create)

    const get = async (al: string, headers: Record<string, string> = {}) => {
      const res = await request(t.app).get('/page').set('accept-language', al).set(headers)
      return [res.headers['x-cache'], res.text] as [unknown, string]
    }

    /** Answers in the language with the highest weight among de/fr, naming the user. */
    function mount(options: CacheRouteOptions, extra: Record<string, string> = {}): void {
      t.app.get(
        '/page',
        cacheRoute(t.cache, { mode: 'shared', acceptLanguage: 'rfc', ...options }),
        (req: Request, res: Response) => {
          t.runs++
          const al = req.headers['accept-language'] ?? ''
          const language = /fr(?!;q=0\.)/.test(al) && !/de(?!;q=0\.)/.test(al) ? 'fr' : 'de'
          const who = String(req.headers.authorization ?? req.headers['x-user'] ?? 'anon')
          res.set({ 'cache-control': 'public, max-age=600', vary: 'Accept-Language' })
          res.set({ 'content-language': language, ...extra }).send(`${language} ${who} ${t.runs}`)
        },
      )
    }

    it('vary authorization: one user never gets another user’s variant through the index', async () => {
      mount({ vary: ['authorization'] })
      expect(await get('en, de', { authorization: 'alice' })).to.deep.equal(['MISS', 'de alice 1'])
      expect((await get('de', { authorization: 'bob' }))[1]).to.equal('de bob 2')
    })

    it('custom key holding the user: no index across users', async () => {
      mount({ key: (req) => `page:${String(req.headers['x-user'])}` })
      expect(await get('en, de', { 'x-user': 'alice' })).to.deep.equal(['MISS', 'de alice 1'])
      expect((await get('de', { 'x-user': 'bob' }))[1]).to.equal('de bob 2')
    })

    it('Set-Cookie / private / Vary on more: nothing indexed', async () => {
      mount({}, { 'set-cookie': 's=1' })
      await get('en, de')
      expect((await get('de'))[0]).to.equal('MISS')
    })

    it('wildcard, q=0 and ties pick no index entry', async () => {
      mount({})
      await get('en, de')
      expect((await get('*, de;q=0.5'))[0]).to.equal('MISS')
      expect((await get('de;q=0'))[0]).to.equal('MISS')
      expect((await get('de, fr'))[0]).to.equal('MISS')
    })

    it('a credentialed request (personal cookie) is never answered from the index', async () => {
      mount({ ignoreCookies: ['_ga'] })
      await get('en, de')
      expect((await get('de', { cookie: 'session=1' }))[0]).to.equal('BYPASS')
      expect((await get('de', { cookie: '_ga=1' }))[0]).to.equal('HIT')
    })
  })
}
