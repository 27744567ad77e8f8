import { expect } from 'chai'
import fc from 'fast-check'
import { Keyspace } from '../../src/entries/keyspace.js'
import type { RedisCluster } from '../../src/store/redis-client.js'
import {
  isShardChannel,
  shardChannel,
  shardChannelOf,
} from '../../src/store/redis-shard-channels.js'
import { shardNotices } from '../../src/store/redis-shard-notices.js'
import { keySlot, SLOT_COUNT } from '../../src/store/redis-slot.js'

describe('shard channels (sharded notices on Redis Cluster)', () => {
  it('names one channel per slot, each in its own slot', () => {
    const names = new Set<string>()
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const channel = shardChannel('p:bus', slot)
      expect(keySlot(channel), channel).to.equal(slot)
      names.add(channel)
    }
    expect(names.size).to.equal(SLOT_COUNT)
  })

  it("puts a key's notice in the key's slot, where its scripts may publish", () => {
    const keyspace = new Keyspace('prefix')
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (ns, key) => {
        const entry = keyspace.entry(ns, key)
        const channel = shardChannelOf(keyspace.channel, entry.value)
        expect(keySlot(channel)).to.equal(keySlot(entry.value))
        expect(keySlot(channel)).to.equal(keySlot(entry.fence))
        expect(isShardChannel(channel)).to.equal(true)
      }),
    )
  })

  it('never takes a bus channel for a shard channel (prefixes hold no braces)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), (prefix) => {
        fc.pre(!/[{}\s]/.test(prefix))
        expect(isShardChannel(new Keyspace(prefix).channel)).to.equal(false)
      }),
    )
  })

  it('keeps the classic channel on a cluster whose masters run Redis before 7', async () => {
    // A stand-in for node-redis's cluster: pure logic (the version check), no server involved.
    const node = { sendCommand: () => Promise.resolve('# Server\r\nredis_version:6.2.14\r\n') }
    const cluster = {
      masters: [{ address: 'a' }, { address: 'b' }],
      nodeClient: () => Promise.resolve(node),
    } as unknown as RedisCluster
    const notices = shardNotices(cluster, {
      timeoutMs: 1_000,
      onError: () => undefined,
      refreshSlots: () => undefined,
    })
    await notices.subscribe(
      'p:bus',
      () => undefined,
      () => undefined,
    )
    expect(notices.channelFor('p:bus', 'p:v:{ns:k}')).to.equal(undefined)
    expect(notices.isReady()).to.equal(true)
    await notices.close()
  })
})
