import assert from 'node:assert/strict'
import { beginComputeScript, deleteEntryScript, writeEntryScript } from '../entries/lua-scripts.js'
import { tagAddScript, tagSettleScript, tagTakeScript } from '../entries/tag-scripts.js'
import { deleteEntriesScript } from '../entries/lua-batch.js'
import type { ScriptReply, Store } from '../store/store.js'
import { entryParts, MessageLog, sleep, type StoreCaseBody } from './contract-kit.js'

/** Runs the fenced write script on `value`/`fence` with `fence` as the writer's fence. */
function writeEntry(
  store: Store,
  [value, fence]: readonly [string, string],
  writerFence: string,
  parts = entryParts(Date.now() + 10_000, 'J1'),
  notify: readonly [string, string, string] = ['', '', ''],
): Promise<ScriptReply[]> {
  const args = [writerFence, '10000', parts.head, parts.tail, '20000', ...notify]
  return store.run([{ script: writeEntryScript, keys: [value, fence], args }])
}

async function beginCompute(store: Store, keys: readonly [string, string]): Promise<ScriptReply[]> {
  const call = { script: beginComputeScript, keys, args: [String(Date.now()), '20000', '0'] }
  return (await store.run([call]))[0] as ScriptReply[]
}

const first = (replies: ScriptReply[]): ScriptReply[] => replies[0] as ScriptReply[]

/** A tag set and its pending set (one hash slot). */
function tagKeys(prefix: string, tag: string): readonly [string, string] {
  return [`${prefix}:tz:{${tag}}`, `${prefix}:tp:{${tag}}`]
}

/** Take up to `count` members for an invalidation: [member, score] pairs. */
async function takeTag(
  store: Store,
  keys: readonly [string, string],
  count: number,
): Promise<[string, string][]> {
  const [reply] = (await store.run([{ script: tagTakeScript, keys, args: [String(count)] }])) as [
    Buffer[],
  ]
  const flat = reply.map(String)
  const pairs: [string, string][] = []
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!])
  return pairs
}

async function settleTag(
  store: Store,
  keys: readonly [string, string],
  taken: readonly [string, string][],
): Promise<number> {
  const call = { script: tagSettleScript, keys: [keys[1]], args: taken.flat() }
  return Number((await store.run([call]))[0])
}

const members = (pairs: readonly [string, string][]): string[] => pairs.map(([m]) => m)

/** The entry scripts (fenced writes, begin, delete, tags) and pub/sub: what cacheFn relies on. */
export const STORE_SCRIPT_CASES: readonly (readonly [string, StoreCaseBody])[] = [
  [
    'runs the fenced write script: new fences grow, older fences are refused',
    async (store, p) => {
      const keys = [`${p}:v:{e}`, `${p}:f:{e}`] as const
      const [ok1, f1] = first(await writeEntry(store, keys, ''))
      const [ok2, f2] = first(await writeEntry(store, keys, ''))
      assert.deepEqual([Number(ok1), Number(ok2)], [1, 1])
      assert.ok(Number(String(f2)) > Number(String(f1)), 'each unfenced write takes a new fence')
      const [stale] = first(await writeEntry(store, keys, String(f1)))
      assert.equal(Number(stale), 0, 'a write with an older fence is refused')
      const [same] = first(await writeEntry(store, keys, String(f2)))
      assert.equal(Number(same), 1, 'a write with the current fence is accepted')
      const stored = (await store.get(keys[0]))!.toString('latin1')
      assert.ok(stored.includes(` ${String(f2)} v tj1 -\n`), `header carries the fence: ${stored}`)
    },
  ],
  [
    'runs the begin script: fresh value wins, else a new fence',
    async (store, p) => {
      const keys = [`${p}:v:{b}`, `${p}:f:{b}`] as const
      const started = await beginCompute(store, keys)
      assert.equal(started.length, 1)
      const f1 = Number(String(started[0]))
      assert.ok(f1 > 1_600_000_000_000_000, `fence ${f1} is a time in microseconds`)
      await writeEntry(store, keys, String(f1), entryParts(Date.now() + 10_000, 'J"v"'))
      const fresh = await beginCompute(store, keys)
      assert.equal(String(fresh[0]), '0')
      assert.ok(String(fresh[1]).includes('J"v"'), 'a fresh value comes back instead of a fence')
      await writeEntry(store, keys, '', entryParts(Date.now() - 1, 'J"old"'))
      const expired = await beginCompute(store, keys)
      assert.equal(expired.length, 1)
      assert.ok(Number(String(expired[0])) > f1, 'an expired value means a newer fence')
    },
  ],
  [
    'runs the delete script: removes the value and refuses writes already in flight',
    async (store, p) => {
      const keys = [`${p}:v:{d}`, `${p}:f:{d}`] as const
      const begin = { script: beginComputeScript, keys, args: ['0', '20000', '0'] }
      const [fence] = first(await store.run([begin]))
      const remove = { script: deleteEntryScript, keys, args: ['20000', '', '', ''] }
      const [deleted] = await store.run([remove])
      assert.equal(Number(deleted), 0)
      const [ok] = first(await writeEntry(store, keys, String(fence)))
      assert.equal(Number(ok), 0, 'the write begun before the delete is refused')
      assert.equal(await store.get(keys[0]), undefined)
    },
  ],
  [
    'runs the batch delete script: removes every value and refuses writes already in flight',
    async (store, p) => {
      // One hash tag, so the keys share a slot (on a cluster too); each entry has its own names.
      const names = ['a', 'b', 'c'].map((e) => [`${p}:v:{m}${e}`, `${p}:f:{m}${e}`] as const)
      const [a, b, c] = names as [(typeof names)[0], (typeof names)[0], (typeof names)[0]]
      const [computing] = first(
        await store.run([{ script: beginComputeScript, keys: a, args: ['0', '20000', '0'] }]),
      )
      const [, written] = first(await writeEntry(store, b, ''))
      const args = ['20000', '', '', ...names.flat()]
      const [reply] = await store.run([{ script: deleteEntriesScript, keys: [a[0]], args }])
      assert.deepEqual((reply as ScriptReply[]).map(Number), [1], 'one value existed, none skipped')
      for (const [keys, fence] of [
        [a, computing],
        [b, written],
      ] as const) {
        const [ok] = first(await writeEntry(store, keys, String(fence)))
        assert.equal(Number(ok), 0, 'a write begun before the batch is refused')
      }
      assert.equal(await store.get(b[0]), undefined)
      assert.ok(
        Number(String(await store.get(c[1]))) > 0,
        'an entry never written gets a fence too',
      )
    },
  ],
  [
    'keeps tag sets scored by expiry: expired members dropped, taken in batches',
    async (store, p) => {
      const tags = tagKeys(p, 'tag')
      await store.run([
        { script: tagAddScript, keys: [tags[0]], args: ['60', 'k1'] },
        { script: tagAddScript, keys: [tags[0]], args: ['10000', 'k2'] },
        { script: tagAddScript, keys: [tags[0]], args: ['50', 'k3'] },
        { script: tagAddScript, keys: [tags[0]], args: ['20000', 'k4'] },
        { script: tagAddScript, keys: [tags[0]], args: ['30000', 'k5'] },
      ])
      await sleep(100)
      // k1 and k3 expired: never returned; the others soonest to expire first, two at a time.
      const batch = await takeTag(store, tags, 2)
      assert.deepEqual(members(batch), ['k2', 'k4'])
      assert.equal(await settleTag(store, tags, batch), 2)
      const last = await takeTag(store, tags, 2)
      assert.deepEqual(members(last), ['k5'])
      await settleTag(store, tags, last)
      assert.deepEqual(await takeTag(store, tags, 2), [])
    },
  ],
  [
    'expires a tag set with its last live member',
    async (store, p) => {
      const tags = tagKeys(p, 'short')
      await store.run([
        { script: tagAddScript, keys: [tags[0]], args: ['40', 'k1'] },
        { script: tagAddScript, keys: [tags[0]], args: ['60', 'k2'] },
      ])
      await sleep(100)
      assert.deepEqual(await takeTag(store, tags, 10), [])
    },
  ],
  [
    "a registration only raises a member's score; taken members stay pending until settled",
    async (store, p) => {
      const tags = tagKeys(p, 'raise')
      await store.run([
        { script: tagAddScript, keys: [tags[0]], args: ['10000', 'k1'] },
        // A computation's registration (raise only) leaves k1 its longer life; k2 joins.
        { script: tagAddScript, keys: [tags[0]], args: ['50', 'k1', '1'] },
        { script: tagAddScript, keys: [tags[0]], args: ['50', 'k2', '1'] },
        // A plain add sets the score: k3 is short-lived.
        { script: tagAddScript, keys: [tags[0]], args: ['10000', 'k3'] },
        { script: tagAddScript, keys: [tags[0]], args: ['50', 'k3'] },
      ])
      await sleep(100)
      const [k1] = await takeTag(store, tags, 10)
      assert.equal(k1?.[0], 'k1')
      // Not settled (its deletes failed, or the reply was lost): the next take finds it again.
      await store.run([{ script: tagAddScript, keys: [tags[0]], args: ['20000', 'k4'] }])
      const both = await takeTag(store, tags, 10)
      assert.deepEqual(members(both), ['k1', 'k4'])
      // k4 is registered again and another take moves it in with its higher score: settling it
      // with the score first taken leaves it pending for the invalidation that moved it.
      await store.run([{ script: tagAddScript, keys: [tags[0]], args: ['40000', 'k4'] }])
      await takeTag(store, tags, 10)
      assert.equal(await settleTag(store, tags, both), 1)
      const raised = await takeTag(store, tags, 10)
      assert.deepEqual(members(raised), ['k4'])
      assert.equal(await settleTag(store, tags, raised), 1)
      assert.deepEqual(await takeTag(store, tags, 10), [])
    },
  ],
  [
    'a take fills its batch while the tag set has members, even when moved ones were pending',
    async (store, p) => {
      const tags = tagKeys(p, 'refill')
      await store.run([{ script: tagAddScript, keys: [tags[0]], args: ['10000', 'k1'] }])
      assert.deepEqual(members(await takeTag(store, tags, 1)), ['k1'])
      // k1 is rewritten before its invalidation settled it; k2 and k3 join the tag.
      await store.run([
        { script: tagAddScript, keys: [tags[0]], args: ['15000', 'k1'] },
        { script: tagAddScript, keys: [tags[0]], args: ['20000', 'k2'] },
        { script: tagAddScript, keys: [tags[0]], args: ['30000', 'k3'] },
      ])
      // Moving k1 again adds nothing to the pending set: the take keeps moving (a short batch
      // would tell the invalidation that the tag set is empty while k2 and k3 are in it).
      assert.deepEqual(members(await takeTag(store, tags, 2)), ['k1', 'k2'])
    },
  ],
  [
    'publishes from scripts and directly, to subscribers of the channel only',
    async (store, p) => {
      const channel = `${p}:bus`
      const received = new MessageLog()
      const unsubscribe = await store.subscribe(channel, received.push)
      await writeEntry(store, [`${p}:v:{m}`, `${p}:f:{m}`], '', undefined, [channel, 'w:', ':k'])
      await store.publish(channel, 'direct')
      await store.publish(`${p}:other`, 'elsewhere')
      // A script publishes from its key's node and PUBLISH from another on a cluster: the two
      // may arrive in either order.
      const both = await received.next(2)
      const direct = both.indexOf('direct')
      assert.notEqual(direct, -1, 'the direct message arrives')
      assert.match(both[1 - direct] ?? '', /^w:\d{16}:k$/)
      await unsubscribe()
      // Both listeners share the store's subscription: once the later one has both messages,
      // the unsubscribed one would have had them too. (A cluster may reorder them.)
      const later = new MessageLog()
      const unsubscribeLater = await store.subscribe(channel, later.push)
      await store.publish(channel, 'late')
      await store.publish(channel, 'sentinel')
      assert.deepEqual([...(await later.next(2))].sort(), ['late', 'sentinel'])
      assert.equal(received.items.length, 2, 'nothing arrives after unsubscribing')
      await unsubscribeLater()
    },
  ],
]
