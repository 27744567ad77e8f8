import { expect } from 'chai'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Keyspace } from '../../src/entries/keyspace.js'
import { routeKey, urlParts, type RouteRequest } from '../../middleware/route/key.js'

/**
 * Item 13: the memos that make hot keys cheap must stay small whatever URLs and keys an
 * attacker sends. Each test keys thousands of distinct huge requests and measures the heap
 * they leave behind (after a full collection), which was hundreds of MiB before the bound.
 */
setFlagsFromString('--expose-gc')
const collect = runInNewContext('gc') as () => void

function retainedBytes(work: () => void): number {
  collect()
  const before = process.memoryUsage().heapUsed
  work()
  collect()
  return process.memoryUsage().heapUsed - before
}

const MiB = 1024 * 1024

function request(url: string): RouteRequest {
  return { url, originalUrl: url, headers: { host: 'site.example' }, socket: {} } as RouteRequest
}

describe('item 13: memo bounds, measured', function () {
  this.timeout(120_000)

  it('the route-key memo keeps under 8 MiB after 9,999 distinct 15 KB URLs', () => {
    const filler = 'x'.repeat(15_000)
    const retained = retainedBytes(() => {
      for (let i = 0; i < 9_999; i++) {
        const req = request(`/p?i=${i}&f=${filler}`)
        routeKey(urlParts(req), req, [])
      }
    })
    expect(retained / MiB).to.be.lessThan(8)
  })

  it('the route-key memo keeps under 8 MiB after 20,000 distinct short URLs', () => {
    const retained = retainedBytes(() => {
      for (let i = 0; i < 20_000; i++) {
        const req = request(`/p/${i}?q=${'y'.repeat(1_000)}`)
        routeKey(urlParts(req), req, [])
      }
    })
    expect(retained / MiB).to.be.lessThan(8)
  })

  it('the keyspace memo keeps under 4 MiB after 2,048 distinct 30 KB keys', () => {
    const keyspace = new Keyspace('mem')
    const filler = 'k'.repeat(30_000)
    const retained = retainedBytes(() => {
      for (let i = 0; i < 2_048; i++) keyspace.entry('ns', `${i}:${filler}`)
    })
    expect(retained / MiB).to.be.lessThan(4)
    // Still the same names, memo or not.
    expect(keyspace.entry('ns', `1:${filler}`)).to.deep.equal(
      new Keyspace('mem').entry('ns', `1:${filler}`),
    )
  })
})
