/**
 * Tags a handler derives from what it serves (a search query, a list of ids) can be longer
 * than a tag's 256 characters. Such a response must still be stored, and invalidating by the
 * same long tag must still reach it: a long tag is never a silent reason not to cache.
 */
import { expect } from 'chai'
import { cacheRoute, tagResponse } from '../../middleware/index.js'
import { TARGETS, useTarget } from './support.js'

const LONG = `search:${'q'.repeat(300)}`
// Same first 256 characters: a digest of the whole tag, not a cut, tells them apart.
const SIBLING = `${LONG}-other`

for (const target of TARGETS) {
  describe(`adversarial: long tags neither stop storing nor escape invalidation (${target.name})`, () => {
    const t = useTarget(target)
    let runs = 0
    beforeEach(() => {
      runs = 0
    })

    const SOURCES = {
      'a Cache-Tag header': (tag: string) =>
        t.app.get('/tagged', cacheRoute(t.cache, { ttl: '1h' }), (_req, res) => {
          runs++
          res.set('Cache-Tag', `short, ${tag}`).send(`v${runs}`)
        }),
      'tagResponse()': (tag: string) =>
        t.app.get('/tagged', cacheRoute(t.cache, { ttl: '1h' }), (_req, res) => {
          runs++
          tagResponse(res, 'short', tag)
          res.send(`v${runs}`)
        }),
    }

    for (const [source, mount] of Object.entries(SOURCES)) {
      it(`stores a response tagged by ${source} with a ${LONG.length}-character tag, and invalidates it by that tag`, async () => {
        mount(LONG)
        const live = await t.start()
        expect((await live.get('/tagged')).headers['x-cache']).to.equal('MISS')
        const hit = await live.get('/tagged')
        expect(hit.headers['x-cache']).to.equal('HIT')
        expect(hit.text).to.equal('v1')
        expect(await t.cache.invalidate({ tags: [SIBLING] })).to.equal(0)
        expect(await t.cache.invalidate({ tags: [LONG] })).to.equal(1)
        const after = await live.get('/tagged')
        expect(after.headers['x-cache']).to.equal('MISS')
        expect(after.text).to.equal('v2')
      })
    }
  })
}
