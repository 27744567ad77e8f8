import { withDeadline } from './deadline.js'
import type { RedisCluster } from './redis-client.js'

/**
 * The slots a master reports migrating or importing (a reshard under way), for the shard
 * subscriber (`redis-shard-subscriber.ts`). While a slot migrates, the keys already handed over
 * live on the importing master, and the notices of the scripts that touch them (sent there with
 * ASK) go out on that master's shard channel, where nobody is subscribed until the slot is
 * assigned to it: the subscriber counts such a slot as not covered, so the gap is reported as
 * lost notices. Only a master itself lists its migrating and importing slots (in the `myself`
 * line of `CLUSTER NODES`), so every master is asked.
 *
 * The returned function asks at most once per `intervalMs` and otherwise gives the last answer;
 * it resolves to undefined when a master could not be asked in `timeoutMs`.
 */
export function migrationWatch(
  cluster: RedisCluster,
  timeoutMs: number,
  intervalMs: number,
): () => Promise<ReadonlySet<number> | undefined> {
  let last: { at: number; slots: Promise<ReadonlySet<number> | undefined> } | undefined
  return () => {
    const now = Date.now()
    if (last === undefined || now - last.at >= intervalMs) {
      const asked = withDeadline('subscribe', timeoutMs, migratingSlots(cluster), (e) => e as Error)
      last = { at: now, slots: asked.catch(() => undefined) }
    }
    return last.slots
  }
}

/**
 * The slots that were migrating at the last call and are not any more, given what migrates now:
 * their handover ended, and the server's unsubscribe from the old master may not have reached
 * the subscriber (node-redis takes it for the reply of a command still pending on that
 * connection), so the subscriber subscribes them again wherever the slot map says.
 */
export function migrationsEnded(): (moving: ReadonlySet<number>) => number[] {
  let seen: ReadonlySet<number> = new Set()
  return (moving) => {
    const ended = [...seen].filter((slot) => !moving.has(slot))
    seen = moving
    return ended
  }
}

/** The slots every master lists as migrating or importing now. */
async function migratingSlots(cluster: RedisCluster): Promise<ReadonlySet<number>> {
  const slots = new Set<number>()
  await Promise.all(
    cluster.masters.map(async (master) => {
      const node = await cluster.nodeClient(master)
      const reply: unknown = await node.sendCommand(['CLUSTER', 'NODES'])
      const text = typeof reply === 'string' || Buffer.isBuffer(reply) ? reply.toString() : ''
      const mine = text.split('\n').find((line) => line.split(' ')[2]?.includes('myself'))
      for (const field of mine?.split(' ').slice(8) ?? []) {
        // `[<slot>->-<node id>]` migrating, `[<slot>-<-<node id>]` importing.
        const slot = /^\[(\d+)-[<>]-/.exec(field)?.[1]
        if (slot !== undefined) slots.add(Number(slot))
      }
    }),
  )
  return slots
}
