import { LUA_NOTIFY } from './lua-scripts.js'
import type { ScriptReply, StoreScript } from '../store/store.js'

/**
 * The batch form of the delete script (`deleteEntryScript`): many entries in one call, each
 * value deleted and each fence raised to max(stored + 1, server time in µs) and kept at least
 * the fence keep time, exactly as the single-entry script does, so a computation that began
 * before the batch cannot write its value back. Namespace, pattern and tag invalidation send
 * one call per slice of a SCAN page or tag batch instead of one per entry.
 *
 * Two commands per entry that had a value (DEL, then SET ... KEEPTTL GET for the fence): every
 * value is written by `writeEntryScript`, which keeps the fence at least the value's ttl plus
 * the keep time, so while a value exists its fence already outlives the keep time. Only when
 * there was no value (a computation in flight, or an entry met a second time in the SCAN) or
 * no fence is the fence's ttl raised to the keep time (PEXPIRE ... GT, or PEXPIRE for a new
 * fence key).
 *
 * Redis Cluster: only the first entry's value key is declared (it routes the call); the rest
 * travel in ARGV, and the `allow-cross-slot-keys` flag (Redis 7) lets the script reach every
 * key its node serves, whatever the slot. An entry the node does not serve (another master's,
 * or a slot migrated since the SCAN) is skipped before anything of it is touched (its DEL,
 * the first command per entry, runs under `pcall`) and its position returned, so the caller
 * sends it again (`batch-removal.ts`). A server older than 7 refuses the flag: the caller then
 * uses the single-entry script.
 *
 * KEYS: the first entry's value key. ARGV: fence keep ms, publish ('1', or '' for no notices),
 * message head, then per entry its value key and fence key, and when publishing its channel
 * (each entry's own: on a cluster, the shard channel of its slot) and message tail. Returns how
 * many values existed, followed by the 1-based positions of the entries skipped.
 */
export const deleteEntriesScript: StoreScript = {
  name: 'delete-many',
  lua: `#!lua flags=allow-cross-slot-keys
${LUA_NOTIFY}
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local nowText = string.format('%.0f', now)
local keep = ARGV[1]
local publish = ARGV[2] ~= ''
local stride = 2
if publish then stride = 4 end
local reply = {0}
for i = 4, #ARGV, stride do
  local deleted = redis.pcall('DEL', ARGV[i])
  if type(deleted) == 'table' then
    reply[#reply + 1] = (i - 4) / stride + 1
  else
    reply[1] = reply[1] + deleted
    local fenceKey = ARGV[i + 1]
    local f = nowText
    local old = redis.call('SET', fenceKey, f, 'KEEPTTL', 'GET')
    if old and (tonumber(old) or 0) >= now then
      f = string.format('%.0f', tonumber(old) + 1)
      redis.call('SET', fenceKey, f, 'KEEPTTL')
    end
    if not old then redis.call('PEXPIRE', fenceKey, keep)
    elseif deleted == 0 then redis.call('PEXPIRE', fenceKey, keep, 'GT') end
    if publish then notify(ARGV[i + 2], ARGV[3] .. f .. ARGV[i + 3]) end
  end
end
return reply`,
  memory(db, _keys, args): ScriptReply {
    const text = (i: number): string => args[i]?.toString('utf8') ?? ''
    const keep = Number(text(0))
    const publish = text(1) !== ''
    const stride = publish ? 4 : 2
    const now = db.timeMicros()
    let removed = 0
    for (let i = 3; i + 1 < args.length; i += stride) {
      if (db.delete(text(i))) removed++
      const fenceKey = text(i + 1)
      const current = Number(db.get(fenceKey)?.toString('latin1') ?? '0') || 0
      const fence = Math.max(current + 1, now).toFixed(0)
      db.set(fenceKey, Buffer.from(fence, 'latin1'), Math.max(keep, db.pttl(fenceKey)))
      if (publish) db.publish(text(i + 2), `${text(2)}${fence}${text(i + 3)}`)
    }
    return [removed]
  },
}
