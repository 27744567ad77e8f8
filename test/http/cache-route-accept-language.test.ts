import { expect } from 'chai'
import request from 'supertest'
import type { Request, Response } from 'express'
import { cacheRoute, invalidatePath, type CacheRouteOptions } from '../../middleware/index.js'
import { EXPRESS_VERSIONS, useMemoryRoutes } from './apps.js'

/**
 * `acceptLanguage: 'rfc'` (shared mode): Accept-Language by its RFC 9110 meaning. A handler
 * that negotiates by weights alone (here over `de` and `fr`, ties to the first it offers) and
 * names its language in Content-Language: requests that mean the same share a variant, and a
 * request whose one preferred language is stored gets it. Nothing else is shared.
 */

const OFFERS = ['de', 'fr'] as const

/** Negotiation by weights alone (RFC 9110): the offered language with the highest weight. */
function byWeight(header: string | undefined): string {
  const weights = new Map<string, number>()
  for (const member of (header ?? '').split(',')) {
    const [range = '', q] = member.trim().split(/\s*;\s*q=/i)
    weights.set(range.toLowerCase(), q === undefined ? 1 : Number(q))
  }
  let best: string = OFFERS[0]
  for (const offer of OFFERS) if ((weights.get(offer) ?? 0) > (weights.get(best) ?? 0)) best = offer
  return best
}

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`cacheRoute acceptLanguage 'rfc' on ${name}`, () => {
    const t = useMemoryRoutes(create)

    function mount(
      options: CacheRouteOptions,
      headers: Record<string, string> = {},
      path = '/page',
    ): void {
      t.app.get(
        path,
        cacheRoute(t.cache, { mode: 'shared', ...options }),
        (req: Request, res: Response) => {
          t.runs++
          const language = byWeight(req.headers['accept-language'])
          res
            .set({ 'cache-control': 'max-age=600', vary: 'Accept-Language' })
            .set({ 'content-language': language, ...headers })
            .send(`${language} ${t.runs}`)
        },
      )
    }
    const get = async (acceptLanguage: string, path = '/page'): Promise<[unknown, string]> => {
      const res = await request(t.app).get(path).set('accept-language', acceptLanguage)
      return [res.headers['x-cache'], res.text]
    }

    it('shares a variant between values that mean the same, in any order', async () => {
      mount({ acceptLanguage: 'rfc' })
      expect(await get('en, de')).to.deep.equal(['MISS', 'de 1'])
      expect(await get('de, en')).to.deep.equal(['HIT', 'de 1'])
      expect(await get('DE;q=1.0 , en')).to.deep.equal(['HIT', 'de 1'])
    })

    it("serves the stored variant in a request's one preferred language, and nothing else", async () => {
      mount({ acceptLanguage: 'rfc' })
      expect(await get('en, de')).to.deep.equal(['MISS', 'de 1'])
      expect(await get('fr;q=0.5, de;q=1.0')).to.deep.equal(['HIT', 'de 1'])
      // French preferred: the pointer names German only, so the origin answers (in French).
      // Only the variant written with the pointer is named (the pointer is the fenced write).
      expect(await get('fr, de;q=0.5')).to.deep.equal(['MISS', 'fr 2'])
      expect(await get('fr;q=0.9, en;q=0.1')).to.deep.equal(['MISS', 'fr 3'])
      // A tie names no one preferred language: its own variant.
      expect(await get('fr, de')).to.deep.equal(['MISS', 'de 4'])
    })

    it('indexes nothing that does not name one language or varies on more than it', async () => {
      mount({ acceptLanguage: 'rfc' }, { 'content-language': 'de, fr' })
      expect(await get('en, de')).to.deep.equal(['MISS', 'de 1'])
      expect(await get('fr;q=0.5, de')).to.deep.equal(['MISS', 'de 2'])
      mount({ acceptLanguage: 'rfc' }, { vary: 'Accept-Language, X-Region' }, '/two')
      expect(await get('en, de', '/two')).to.deep.equal(['MISS', 'de 3'])
      expect(await get('fr;q=0.5, de', '/two')).to.deep.equal(['MISS', 'de 4'])
    })

    it("keeps Express's comparison by default: order counts", async () => {
      mount({})
      expect(await get('en, de')).to.deep.equal(['MISS', 'de 1'])
      expect(await get('de, en')).to.deep.equal(['MISS', 'de 2'])
      expect(await get('fr;q=0.5, de;q=1.0')).to.deep.equal(['MISS', 'de 3'])
    })

    it('drops the language index with its path', async () => {
      mount({ acceptLanguage: 'rfc' })
      await get('en, de')
      await invalidatePath(t.cache, '/page')
      expect(await get('fr;q=0.5, de')).to.deep.equal(['MISS', 'de 2'])
    })

    it("rejects 'rfc' outside shared mode, and any other value", () => {
      expect(() => cacheRoute(t.cache, { acceptLanguage: 'rfc' })).to.throw(/acceptLanguage/)
      expect(() =>
        cacheRoute(t.cache, { mode: 'shared', acceptLanguage: 'RFC' as never }),
      ).to.throw(/acceptLanguage/)
    })
  })
}
