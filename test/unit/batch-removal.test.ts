import { expect } from 'chai'
import type { Bus } from '../../src/bus/bus.js'
import { BATCH_ENTRIES, BatchRemoval, type BatchSender } from '../../src/entries/batch-removal.js'
import { Keyspace, type EntryKeys } from '../../src/entries/keyspace.js'
import type { LuaCallContext } from '../../src/entries/lua-calls.js'
import type { ScriptCall, ScriptReply } from '../../src/store/store.js'

const keyspace = new Keyspace('unit')
const bus = {
  channel: 'unit:bus',
  channelFor: () => 'unit:bus',
  frame: (_type: string, key: string) => ({ head: 'head:', tail: `:${key}` }),
} as unknown as Bus
const context = { bus, keyspace, fenceGraceMs: 1_000 } as unknown as LuaCallContext
const entries = (n: number): EntryKeys[] =>
  Array.from({ length: n }, (_, i) => keyspace.entry('ns', `k${i}`))

/** The value keys a batch call carries (from the fourth argument, every 2nd, or 4th with notices). */
function valuesOf(call: ScriptCall): string[] {
  const stride = call.args[1] === '' ? 2 : 4
  return call.args.filter((_, i) => i >= 3 && (i - 3) % stride === 0).map(String)
}

/** A sender that records what goes where; `reply` answers each batch call. */
function recorder(reply: (values: string[]) => ScriptReply) {
  const batches: string[][] = []
  const singles: string[][] = []
  const sender: BatchSender = {
    batch: (call) => {
      batches.push(valuesOf(call))
      return Promise.resolve(reply(valuesOf(call)))
    },
    each: (list) => {
      singles.push(list.map((e) => e.value))
      return Promise.resolve(list.length)
    },
  }
  return { batches, singles, sender }
}

describe('BatchRemoval', () => {
  it('sends slices of at most BATCH_ENTRIES entries, with publish arguments when asked', async () => {
    const seen: ScriptCall[] = []
    const { sender, batches } = recorder((values) => [values.length])
    const spy: BatchSender = { ...sender, batch: (call) => (seen.push(call), sender.batch(call)) }
    const removed = await new BatchRemoval(context).remove(entries(250), true, spy)
    expect(removed).to.equal(250)
    expect(batches.map((b) => b.length)).to.deep.equal([BATCH_ENTRIES, BATCH_ENTRIES, 50])
    expect(seen[0]?.keys).to.deep.equal([entries(1)[0]?.value])
    expect(seen[0]?.args.slice(0, 3)).to.deep.equal(['1000', '1', 'head:'])
    // Each entry carries its own channel (a shard channel of its slot on a cluster) and tail.
    const first = entries(1)[0]!
    expect(seen[0]?.args.slice(3, 7)).to.deep.equal([
      first.value,
      first.fence,
      'unit:bus',
      ':' + first.value,
    ])
  })

  it('sends the entries a node skipped again, in a new batch of their own', async () => {
    // The first call reaches only even entries (one node's); the next call reaches the rest.
    const { sender, batches, singles } = recorder((values) =>
      values[0]?.endsWith('k0}')
        ? [values.length / 2, ...values.flatMap((_, i) => (i % 2 === 1 ? [i + 1] : []))]
        : [values.length],
    )
    expect(await new BatchRemoval(context).remove(entries(10), false, sender)).to.equal(10)
    expect(batches.map((b) => b.length)).to.deep.equal([10, 5])
    expect(singles).to.deep.equal([])
  })

  it('removes one call per entry what no batch makes progress on', async () => {
    const { sender, singles } = recorder((values) => [0, ...values.map((_, i) => i + 1)])
    expect(await new BatchRemoval(context).remove(entries(3), false, sender)).to.equal(3)
    expect(singles).to.deep.equal([entries(3).map((e) => e.value)])
  })

  it('falls back for good to one call per entry on a server without script flags', async () => {
    let calls = 0
    const { sender, singles } = recorder(() => [0])
    const old: BatchSender = {
      ...sender,
      batch: () => {
        calls++
        return Promise.reject(new Error('ERR Error compiling script (new function): shebang'))
      },
    }
    const removal = new BatchRemoval(context)
    expect(await removal.remove(entries(3), false, old)).to.equal(3)
    expect(await removal.remove(entries(2), false, old)).to.equal(2)
    expect(calls).to.equal(1)
    expect(singles.map((s) => s.length)).to.deep.equal([3, 2])
  })

  it('throws any other failure (the store is down: no fallback hides it)', async () => {
    const { sender } = recorder(() => [0])
    const down: BatchSender = { ...sender, batch: () => Promise.reject(new Error('ECONNREFUSED')) }
    const removing = new BatchRemoval(context).remove(entries(3), false, down)
    await removing.then(
      () => expect.fail('resolved'),
      (error: Error) => expect(error.message).to.equal('ECONNREFUSED'),
    )
  })
})
