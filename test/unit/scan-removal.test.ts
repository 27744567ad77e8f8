import { expect } from 'chai'
import type { InvalidationOps } from '../../src/entries/invalidation-ops.js'
import { Keyspace, type EntryKeys } from '../../src/entries/keyspace.js'
import { PAGES_IN_FLIGHT, scanAndRemove } from '../../src/entries/scan-removal.js'
import { deferred } from '../support/wait.js'

const keyspace = new Keyspace('unit')
const value = (key: string): string => keyspace.entry('ns', key).value
const fence = (key: string): string => keyspace.entry('ns', key).fence

/**
 * Operations that serve SCAN pages (each page read once the previous removal was sent and the
 * event loop turned) and record the entries of every removal, each resolved by `settle`
 * (immediately by default) to how many of its values existed (all).
 */
function fakeOps(pages: string[][], settle?: (index: number) => Promise<void>) {
  const removals: string[][] = []
  const ops = {
    async *scan() {
      for (const page of pages) {
        await new Promise((resolve) => setImmediate(resolve))
        yield page
      }
    },
    async removeEntries(entries: readonly EntryKeys[]) {
      const index = removals.push(entries.map((e) => e.value)) - 1
      await settle?.(index)
      return entries.length
    },
  }
  return { ops: ops as unknown as InvalidationOps, removals }
}

describe('scanAndRemove (namespace and pattern invalidation)', () => {
  it('removes an entry once: its other key met in a later page costs no second removal', async () => {
    // a and b are met by their value first; c by its fence (its value was already gone).
    const { ops, removals } = fakeOps([
      [value('a'), value('b')],
      [fence('c')],
      [fence('a'), value('d')],
      [fence('b'), fence('d')],
    ])
    expect(await scanAndRemove(ops, keyspace, 'unused')).to.equal(4)
    expect(removals).to.deep.equal([[value('a'), value('b')], [value('c')], [value('d')], []])
  })

  it('removes again an entry whose first removal has not succeeded yet when its other key comes', async () => {
    const [first, second] = [deferred(), deferred()]
    const { ops, removals } = fakeOps([[value('a')], [fence('a')]], (index) => {
      if (index === 0) return first.promise
      second.resolve()
      return Promise.resolve()
    })
    expect(PAGES_IN_FLIGHT).to.be.at.least(2)
    const removing = scanAndRemove(ops, keyspace, 'unused')
    await second.promise
    // The second page went out while the first removal was still running: a again.
    expect(removals).to.deep.equal([[value('a')], [value('a')]])
    first.resolve()
    expect(await removing).to.equal(2)
  })

  it('rejects with the error of a failed removal, once every removal settled', async () => {
    const { ops, removals } = fakeOps([[value('a')], [fence('a')]], (index) =>
      index === 0 ? Promise.reject(new Error('store down')) : Promise.resolve(),
    )
    const error = await scanAndRemove(ops, keyspace, 'unused').catch((e: unknown) => e)
    expect((error as Error).message).to.equal('store down')
    expect(removals[0]).to.deep.equal([value('a')])
  })
})
