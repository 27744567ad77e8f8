import { expect } from 'chai'
import request from 'supertest'
import type { Request, Response } from 'express'
import { cacheRoute, type CacheRouteOptions } from '../../middleware/index.js'
import { EXPRESS_VERSIONS, useMemoryRoutes } from './apps.js'

/**
 * Review 3: attacks on `acceptLanguage: 'rfc'` and its language index. The handler negotiates
 * by weights alone over `de` and `fr` (the kind of route the option is documented for).
 */

const OFFERS = ['de', 'fr'] as const

/** The offered language with the highest weight; undefined when none is acceptable. */
function byWeight(header: string | undefined): string | undefined {
  const weights = new Map<string, number>()
  for (const member of (header ?? '').split(',')) {
    const [range = '', q] = member.trim().split(/\s*;\s*q=/i)
    weights.set(range.toLowerCase(), q === undefined ? 1 : Number(q))
  }
  let best: string | undefined
  for (const offer of OFFERS) {
    const w = weights.get(offer) ?? weights.get('*') ?? 0
    if (w > 0 && (best === undefined || w > (weights.get(best) ?? 0))) best = offer
  }
  return best
}

for (const { name, create } of EXPRESS_VERSIONS) {
  describe(`review3: acceptLanguage 'rfc' attacks on ${name}`, () => {
    const t = useMemoryRoutes(create)

    const get = async (
      acceptLanguage: string,
      headers: Record<string, string> = {},
    ): Promise<[unknown, number, string]> => {
      const res = await request(t.app)
        .get('/page')
        .set('accept-language', acceptLanguage)
        .set(headers)
      return [res.headers['x-cache'], res.status, res.text]
    }

    /** The documented kind of route; an unacceptable list gets a 406 in the default language. */
    function mount(options: CacheRouteOptions = {}): void {
      t.app.get(
        '/page',
        cacheRoute(t.cache, { mode: 'shared', acceptLanguage: 'rfc', ...options }),
        (req: Request, res: Response) => {
          const run = ++t.runs
          const language = byWeight(req.headers['accept-language'])
          res.set({ 'cache-control': 'max-age=600', vary: 'Accept-Language' })
          if (language === undefined) {
            return res.status(406).set('content-language', 'de').send(`nicht annehmbar ${run}`)
          }
          res.set('content-language', language).send(`${language} ${run}`)
        },
      )
    }

    it('a request no-cache (revalidate allowed) is not answered from the language index', async () => {
      mount({ requestDirectives: { revalidate: true } })
      expect(await get('en, de')).to.deep.equal(['MISS', 200, 'de 1'])
      // Its own variant is not stored; the index's `de` one is, and it must not answer.
      expect(await get('de;q=1, fr;q=0.5', { 'cache-control': 'no-cache' })).to.deep.equal([
        'MISS',
        200,
        'de 2',
      ])
    })

    it('a request max-age=0 (revalidate allowed) is not answered from the language index', async () => {
      mount({ requestDirectives: { revalidate: true } })
      expect(await get('en, de')).to.deep.equal(['MISS', 200, 'de 1'])
      expect(await get('de;q=1, fr;q=0.5', { 'cache-control': 'max-age=0' })).to.deep.equal([
        'MISS',
        200,
        'de 2',
      ])
    })

    it("an attacker's unacceptable list cannot plant a 406 that every de-preferring user gets", async () => {
      mount()
      // Attacker: nothing offered is acceptable; the origin's 406 (cacheable, in `de`) is stored.
      expect(await get('xx')).to.deep.equal(['MISS', 406, 'nicht annehmbar 1'])
      // A user who prefers German must get the German page, not the attacker's 406.
      expect(await get('de, fr;q=0.5')).to.deep.equal(['MISS', 200, 'de 2'])
    })
  })
}
