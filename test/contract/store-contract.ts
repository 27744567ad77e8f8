import { expect } from 'chai'
import { encodeEnvelopeParts } from '../../src/codec/envelope.js'
import {
  beginComputeScript,
  deleteEntryScript,
  tagAddScript,
  tagTakeScript,
  writeEntryScript,
} from '../../src/entries/lua-scripts.js'
import type { ScriptReply, Store } from '../../src/store/store.js'
import { uniquePrefix } from '../support/redis.js'
import { Collector, sleep } from '../support/wait.js'

/** A store under test and how to dispose of it. */
export interface StoreUnderTest {
  store: Store
  dispose(): Promise<void>
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

function entryBytes(freshUntil: number, body: string): { head: Buffer; tail: Buffer } {
  return encodeEnvelopeParts(
    { createdAt: 1, freshUntil, staleUntil: freshUntil, kind: 'value', codec: 'tj1', tags: [] },
    Buffer.from(body),
  )
}

/** The contract every Store implementation must satisfy, run against memory and Redis. */
export function describeStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`Store contract: ${name}`, () => {
    let subject: StoreUnderTest
    let store: Store
    let p: string

    beforeEach(async () => {
      subject = await open()
      store = subject.store
      p = uniquePrefix('store')
    })
    afterEach(() => subject.dispose())

    it('reads a missing key as undefined', async () => {
      expect(await store.get(`${p}:nothing`)).to.equal(undefined)
    })

    it('stores bytes exactly (binary safe)', async () => {
      await store.set(`${p}:bin`, ALL_BYTES, 10_000)
      const out = await store.get(`${p}:bin`)
      expect(Buffer.isBuffer(out)).to.equal(true)
      expect(out!.equals(ALL_BYTES)).to.equal(true)
    })

    it('expires keys after their TTL in milliseconds', async () => {
      await store.set(`${p}:short`, Buffer.from('x'), 250)
      await store.set(`${p}:long`, Buffer.from('y'), 10_000)
      expect(await store.get(`${p}:short`)).to.not.equal(undefined)
      // Expiry is a timer inside the store: there is no event to await, only time.
      await sleep(300)
      expect(await store.get(`${p}:short`)).to.equal(undefined)
      expect(String(await store.get(`${p}:long`))).to.equal('y')
    })

    it('reads and writes many keys, in order, with misses as undefined', async () => {
      await store.setMany([
        { key: `${p}:a`, value: Buffer.from('A'), ttlMs: 10_000 },
        { key: `${p}:b`, value: Buffer.from([0, 1]), ttlMs: 10_000 },
        { key: `${p}:c`, value: Buffer.from('C'), ttlMs: 30 },
      ])
      const out = await store.getMany([`${p}:b`, `${p}:missing`, `${p}:a`])
      expect(out.map((b) => b?.toString('hex'))).to.deep.equal(['0001', undefined, '41'])
      expect(await store.getMany([])).to.deep.equal([])
      await sleep(60)
      expect(await store.get(`${p}:c`)).to.equal(undefined)
    })

    it('deletes keys and counts only those that existed', async () => {
      await store.set(`${p}:d1`, Buffer.from('1'), 10_000)
      await store.set(`${p}:d2`, Buffer.from('2'), 10_000)
      expect(await store.delete([`${p}:d1`, `${p}:d2`, `${p}:d3`])).to.equal(2)
      expect(await store.get(`${p}:d1`)).to.equal(undefined)
      expect(await store.delete([])).to.equal(0)
    })

    it('scans by glob in batches, literally matching escaped characters', async () => {
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
      expect(new Set(found).size).to.equal(1_200)
      expect(found.every((key) => key.startsWith(`${p}:scan:`))).to.equal(true)
      const literal: string[] = []
      for await (const batch of store.scan(`${p}:lit:a\\*b`)) literal.push(...batch)
      expect(literal).to.deep.equal([`${p}:lit:a*b`])
    })

    it('runs the fenced write script: new fences grow, older fences are refused', async () => {
      const [value, fence] = [`${p}:v:{e}`, `${p}:f:{e}`]
      const parts = entryBytes(Date.now() + 10_000, 'J1')
      const write = (f: string): Promise<ScriptReply[]> =>
        store.run([
          {
            script: writeEntryScript,
            keys: [value, fence],
            args: [f, '10000', parts.head, parts.tail, '20000', '', '', ''],
          },
        ])
      const [[ok1, f1]] = (await write('')) as [[number, Buffer]]
      const [[ok2, f2]] = (await write('')) as [[number, Buffer]]
      expect([Number(ok1), Number(ok2)]).to.deep.equal([1, 1])
      expect(Number(String(f2))).to.be.greaterThan(Number(String(f1)))
      const [[stale]] = (await write(String(f1))) as [[number]]
      expect(Number(stale)).to.equal(0)
      const [[same]] = (await write(String(f2))) as [[number]]
      expect(Number(same)).to.equal(1)
      const stored = await store.get(value)
      expect(stored!.toString('latin1')).to.include(` ${String(f2)} v tj1 -\n`)
    })

    it('runs the begin script: fresh value wins, else a new fence', async () => {
      const [value, fence] = [`${p}:v:{b}`, `${p}:f:{b}`]
      const begin = async (): Promise<ScriptReply[]> =>
        (
          await store.run([
            {
              script: beginComputeScript,
              keys: [value, fence],
              args: [String(Date.now()), '20000', '0'],
            },
          ])
        )[0] as ScriptReply[]
      const first = await begin()
      expect(first.length).to.equal(1)
      const f1 = Number(String(first[0]))
      expect(f1).to.be.greaterThan(1_600_000_000_000_000)
      const parts = entryBytes(Date.now() + 10_000, 'J"v"')
      await store.run([
        {
          script: writeEntryScript,
          keys: [value, fence],
          args: [String(f1), '10000', parts.head, parts.tail, '20000', '', '', ''],
        },
      ])
      const second = await begin()
      expect(String(second[0])).to.equal('0')
      expect(String(second[1])).to.include('J"v"')
      const expired = entryBytes(Date.now() - 1, 'J"old"')
      await store.run([
        {
          script: writeEntryScript,
          keys: [value, fence],
          args: ['', '10000', expired.head, expired.tail, '20000', '', '', ''],
        },
      ])
      const third = await begin()
      expect(third.length).to.equal(1)
      expect(Number(String(third[0]))).to.be.greaterThan(f1)
    })

    it('runs the delete script: removes the value and refuses writes already in flight', async () => {
      const [value, fence] = [`${p}:v:{d}`, `${p}:f:{d}`]
      const [[f]] = (await store.run([
        { script: beginComputeScript, keys: [value, fence], args: ['0', '20000', '0'] },
      ])) as [[Buffer]]
      const [deleted] = await store.run([
        { script: deleteEntryScript, keys: [value, fence], args: ['20000', '', '', ''] },
      ])
      expect(Number(deleted)).to.equal(0)
      const parts = entryBytes(Date.now() + 10_000, 'J1')
      const [[ok]] = (await store.run([
        {
          script: writeEntryScript,
          keys: [value, fence],
          args: [String(f), '10000', parts.head, parts.tail, '20000', '', '', ''],
        },
      ])) as [[number]]
      expect(Number(ok)).to.equal(0)
      expect(await store.get(value)).to.equal(undefined)
    })

    it('keeps tag sets scored by expiry: expired members dropped, taken in batches', async () => {
      const tag = `${p}:tz:{tag}`
      await store.run([
        { script: tagAddScript, keys: [tag], args: ['60', 'k1'] },
        { script: tagAddScript, keys: [tag], args: ['10000', 'k2'] },
        { script: tagAddScript, keys: [tag], args: ['50', 'k3'] },
        { script: tagAddScript, keys: [tag], args: ['20000', 'k4'] },
        { script: tagAddScript, keys: [tag], args: ['30000', 'k5'] },
      ])
      await sleep(100)
      const take = async (): Promise<string[]> => {
        const [members] = (await store.run([
          { script: tagTakeScript, keys: [tag], args: ['2'] },
        ])) as [Buffer[]]
        return members.map(String)
      }
      // k1 and k3 expired: never returned; the others soonest to expire first, two at a time.
      expect(await take()).to.deep.equal(['k2', 'k4'])
      expect(await take()).to.deep.equal(['k5'])
      expect(await take()).to.deep.equal([])
    })

    it('expires a tag set with its last live member', async () => {
      const tag = `${p}:tz:{short}`
      await store.run([
        { script: tagAddScript, keys: [tag], args: ['40', 'k1'] },
        { script: tagAddScript, keys: [tag], args: ['60', 'k2'] },
      ])
      await sleep(100)
      const [members] = (await store.run([
        { script: tagTakeScript, keys: [tag], args: ['10'] },
      ])) as [Buffer[]]
      expect(members).to.deep.equal([])
    })

    it('publishes from scripts and directly, to subscribers of the channel only', async () => {
      const channel = `${p}:bus`
      const received = new Collector<string>()
      const unsubscribe = await store.subscribe(channel, received.push)
      const parts = entryBytes(Date.now() + 10_000, 'J1')
      await store.run([
        {
          script: writeEntryScript,
          keys: [`${p}:v:{m}`, `${p}:f:{m}`],
          args: ['', '1000', parts.head, parts.tail, '2000', channel, 'w:', ':k'],
        },
      ])
      await store.publish(channel, 'direct')
      await store.publish(`${p}:other`, 'elsewhere')
      const [first, second] = await received.next(2)
      expect(first).to.match(/^w:\d{16}:k$/)
      expect(second).to.equal('direct')
      await unsubscribe()
      // Messages on one channel arrive in order: once a later listener sees the sentinel, the
      // unsubscribed one would have seen 'late' already.
      const later = new Collector<string>()
      const unsubscribeLater = await store.subscribe(channel, later.push)
      await store.publish(channel, 'late')
      await store.publish(channel, 'sentinel')
      expect(await later.next(2)).to.deep.equal(['late', 'sentinel'])
      expect(received.items).to.have.length(2)
      await unsubscribeLater()
    })

    it('answers ping with a latency and reports ready', async () => {
      const latency = await store.ping()
      expect(latency).to.be.a('number').and.at.least(0)
      expect(store.status().ready).to.equal(true)
    })
  })
}
