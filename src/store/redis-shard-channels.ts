import { keySlot, SLOT_COUNT } from './redis-slot.js'

/**
 * Shard channels (Redis 7 sharded pub/sub) for the notices of a cluster. A script may publish
 * only on a shard channel of its own slot (Redis refuses a channel of another node, and of
 * another slot without `allow-cross-slot-keys`), so that a notice stays atomic with the write or
 * delete it announces, there is one channel per slot: the bus channel followed by a hash tag
 * that falls in that slot, `<channel>:{<tag>}`. A subscriber listens to all 16384 of them, one
 * connection per master; a notice then costs the shard of its key, where a classic PUBLISH on
 * a cluster is forwarded to every node.
 *
 * A channel name is a shard channel exactly when it holds a `{`: bus channels are built from
 * the key prefix, which may not contain braces, so the scripts and the store tell the two kinds
 * apart by the name alone.
 */

let tags: readonly string[] | undefined

/**
 * For every slot, the shortest base-36 counter whose hash tag falls in it (computed once, on
 * first use: ~170k CRC16s of 1-4 characters, about 20 ms).
 */
function slotTags(): readonly string[] {
  if (tags !== undefined) return tags
  const table = new Array<string>(SLOT_COUNT)
  let found = 0
  for (let i = 0; found < SLOT_COUNT; i++) {
    const tag = i.toString(36)
    const slot = keySlot(`{${tag}}`)
    if (table[slot] === undefined) {
      table[slot] = tag
      found++
    }
  }
  tags = table
  return table
}

/** The shard channel of `slot` for the bus channel `channel`. */
export function shardChannel(channel: string, slot: number): string {
  return `${channel}:{${slotTags()[slot]}}`
}

/** The shard channel in the slot of `key`: where a script touching `key` can publish. */
export function shardChannelOf(channel: string, key: string): string {
  return shardChannel(channel, keySlot(key))
}

/** Whether a channel name is a shard channel (see above). */
export function isShardChannel(channel: string): boolean {
  return channel.includes('{')
}
