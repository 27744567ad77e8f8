import type { ScriptReply, StoreScript } from '../store/store.js'

/**
 * The batch form of the delete script (`deleteEntryScript`): many entries in one call, each
 * value deleted and each fence bumped exactly as the single-entry script does, so a computation
 * that began before the batch cannot write its value back. Namespace, pattern and tag
 * invalidation send one call per slice of a SCAN page or tag batch instead of one per entry.
 *
 * Redis Cluster: only the first entry's value key is declared (it routes the call); the rest
 * travel in ARGV, and the `allow-cross-slot-keys` flag (Redis 7) lets the script reach every
 * key its node serves, whatever the slot. An entry the node does not serve (another master's,
 * or a slot migrated since the SCAN) is skipped before anything of it is touched (its DEL,
 * the first command per entry, runs under `pcall`) and its index returned, so the caller sends
 * it again (`batch-removal.ts`). A server older than 7 refuses the flag: the caller then uses
 * the single-entry script.
 *
 * KEYS: the first entry's value key. ARGV: fence keep ms, channel ('' = none), message head,
 * then per entry its value key, fence key and message tail. Returns how many values existed,
 * followed by the 1-based positions of the entries skipped.
 */
export const deleteEntriesScript: StoreScript = {
  name: 'delete-many',
  lua: `#!lua flags=allow-cross-slot-keys
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local keep = tonumber(ARGV[1])
local channel = ARGV[2]
local reply = {0}
for i = 4, #ARGV, 3 do
  local fenceKey = ARGV[i + 1]
  local deleted = redis.pcall('DEL', ARGV[i])
  if type(deleted) == 'table' then
    reply[#reply + 1] = (i - 1) / 3
  else
    reply[1] = reply[1] + deleted
    local current = tonumber(redis.call('GET', fenceKey) or '0') or 0
    local f = string.format('%.0f', math.max(current + 1, now))
    local hold = redis.call('PTTL', fenceKey)
    if hold < keep then hold = keep end
    redis.call('SET', fenceKey, f, 'PX', hold)
    if channel ~= '' then redis.call('PUBLISH', channel, ARGV[3] .. f .. ARGV[i + 2]) end
  end
end
return reply`,
  memory(db, _keys, args): ScriptReply {
    const text = (i: number): string => args[i]?.toString('utf8') ?? ''
    const keep = Number(text(0))
    const now = db.timeMicros()
    let removed = 0
    for (let i = 3; i + 1 < args.length; i += 3) {
      if (db.delete(text(i))) removed++
      const fenceKey = text(i + 1)
      const current = Number(db.get(fenceKey)?.toString('latin1') ?? '0') || 0
      const fence = Math.max(current + 1, now).toFixed(0)
      db.set(fenceKey, Buffer.from(fence, 'latin1'), Math.max(keep, db.pttl(fenceKey)))
      if (text(1) !== '') db.publish(text(1), `${text(2)}${fence}${text(i + 2)}`)
    }
    return [removed]
  },
}
