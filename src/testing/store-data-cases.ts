import assert from 'node:assert/strict'
import { sleep, type StoreCaseBody } from './contract-kit.js'

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

const text = (value: Buffer | undefined): string | undefined => value?.toString()

/** Plain reads, writes, deletes, SCAN and PING: what direct cache operations rely on. */
export const STORE_DATA_CASES: readonly (readonly [string, StoreCaseBody])[] = [
  [
    'reads a missing key as undefined',
    async (store, p) => {
      assert.equal(await store.get(`${p}:nothing`), undefined)
    },
  ],
  [
    'stores bytes exactly (binary safe)',
    async (store, p) => {
      await store.set(`${p}:bin`, ALL_BYTES, 10_000)
      const out = await store.get(`${p}:bin`)
      assert.ok(Buffer.isBuffer(out), 'get returns a Buffer')
      assert.ok(out.equals(ALL_BYTES), 'every byte value survives the round trip')
    },
  ],
  [
    'expires keys after their TTL in milliseconds',
    async (store, p) => {
      await store.set(`${p}:short`, Buffer.from('x'), 250)
      await store.set(`${p}:long`, Buffer.from('y'), 10_000)
      assert.notEqual(await store.get(`${p}:short`), undefined)
      // Expiry is a timer inside the store: there is no event to await, only time.
      await sleep(300)
      assert.equal(await store.get(`${p}:short`), undefined)
      assert.equal(text(await store.get(`${p}:long`)), 'y')
    },
  ],
  [
    'reads and writes many keys, in order, with misses as undefined',
    async (store, p) => {
      await store.setMany([
        { key: `${p}:a`, value: Buffer.from('A'), ttlMs: 10_000 },
        { key: `${p}:b`, value: Buffer.from([0, 1]), ttlMs: 10_000 },
        { key: `${p}:c`, value: Buffer.from('C'), ttlMs: 30 },
      ])
      const out = await store.getMany([`${p}:b`, `${p}:missing`, `${p}:a`])
      assert.deepEqual(
        out.map((b) => b?.toString('hex')),
        ['0001', undefined, '41'],
      )
      assert.deepEqual(await store.getMany([]), [])
      await sleep(60)
      assert.equal(await store.get(`${p}:c`), undefined, 'each write keeps its own TTL')
    },
  ],
  [
    'deletes keys and counts only those that existed',
    async (store, p) => {
      await store.set(`${p}:d1`, Buffer.from('1'), 10_000)
      await store.set(`${p}:d2`, Buffer.from('2'), 10_000)
      assert.equal(await store.delete([`${p}:d1`, `${p}:d2`, `${p}:d3`]), 2)
      assert.equal(await store.get(`${p}:d1`), undefined)
      assert.equal(await store.delete([]), 0)
    },
  ],
  [
    'scans by glob in batches, literally matching escaped characters',
    async (store, p) => {
      const writes = Array.from({ length: 1_200 }, (_, i) => ({
        key: `${p}:scan:${i}`,
        value: Buffer.from(String(i)),
        ttlMs: 10_000,
      }))
      await store.setMany([
        ...writes,
        { key: `${p}:scanX:1`, value: Buffer.from('x'), ttlMs: 10_000 },
      ])
      await store.set(`${p}:lit:a*b`, Buffer.from('1'), 10_000)
      await store.set(`${p}:lit:aXb`, Buffer.from('2'), 10_000)
      const found: string[] = []
      for await (const batch of store.scan(`${p}:scan:*`)) found.push(...batch)
      assert.equal(new Set(found).size, 1_200)
      assert.ok(
        found.every((key) => key.startsWith(`${p}:scan:`)),
        'only keys of the pattern',
      )
      const literal: string[] = []
      for await (const batch of store.scan(`${p}:lit:a\\*b`)) literal.push(...batch)
      assert.deepEqual(literal, [`${p}:lit:a*b`])
    },
  ],
  [
    'answers ping with a latency and reports ready',
    async (store) => {
      const latency = await store.ping()
      assert.equal(typeof latency, 'number')
      assert.ok(latency >= 0, `latency ${latency} is not negative`)
      assert.equal(store.status().ready, true)
    },
  ],
]
