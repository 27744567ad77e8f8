import { envelopeHeaderPattern, HEADER_PEEK_BYTES } from '../codec/envelope.js'
import type { MemoryDb, ScriptReply, StoreScript } from '../store/store.js'

/**
 * The server-side scripts, each touching the keys of one cache entry only (one hash slot).
 * Every script has a Lua body for Redis and the same logic in JS for the memory store.
 *
 * Fences: each lock acquisition, write and delete takes a new fence number,
 * max(stored + 1, server time in µs). Time keeps fences increasing even if the fence key has
 * expired; the +1 keeps them increasing within one microsecond. A write that carries a fence
 * older than the stored one is refused, so a holder that was paused past its lock (a zombie)
 * cannot overwrite what a newer holder, a later `set` or an invalidation did.
 *
 * Restarts and failovers (issue 12, examine item): the fence key may be lost (a restart without
 * persistence, a failover before it replicated). The next fence is then the server's clock in
 * µs, which is above every fence issued before as long as that clock did not go back by more
 * than the outage lasted: each fence was at most its server's time plus the few +1 steps taken
 * within one µs. Only when both are lost (fence key gone and the new master's clock behind the
 * old one's) can a zombie's older write be accepted, once per key, until the next fence; the
 * test "a fence taken after a Redis restart is above every fence taken before" covers the
 * restart. Run NTP slewing (never stepping back) on Redis hosts; that is Redlock's assumption too.
 */

// Lua: assign a new fence to the (already declared) locals `fence` and `f`, and store it in
// KEYS[2], keeping that key for at least ARGV[keepArg] ms.
const LUA_NEW_FENCE = (keepArg: number): string => `
do
  local current = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  local now = redis.call('TIME')
  fence = math.max(current + 1, tonumber(now[1]) * 1000000 + tonumber(now[2]))
  f = string.format('%.0f', fence)
  local keep = tonumber(ARGV[${keepArg}])
  local pttl = redis.call('PTTL', KEYS[2])
  if pttl > keep then keep = pttl end
  redis.call('SET', KEYS[2], f, 'PX', keep)
end`

// Lua: notify(channel, message) publishes a notice: with SPUBLISH on a shard channel (its name
// holds a hash tag, see store/redis-shard-channels.ts: one channel per slot on a Redis 7
// cluster, so the notice costs one shard), with PUBLISH on the classic bus channel.
export const LUA_NOTIFY = `
local function notify(channel, message)
  if string.find(channel, '{', 1, true) then
    redis.call('SPUBLISH', channel, message)
  else
    redis.call('PUBLISH', channel, message)
  end
end`

// The re-check reads an entry's createdAt, freshUntil and kind from its header, in both dialects.
const BEGIN_HEADER_LUA = envelopeHeaderPattern('lua', ['createdAt', 'freshUntil', 'kind'])
const BEGIN_HEADER_JS = new RegExp(envelopeHeaderPattern('js', ['createdAt', 'freshUntil', 'kind']))

/** A script argument as a number (the memory dialect of `tonumber(ARGV[i])`). */
export const num = (arg: Buffer | undefined): number => Number(arg?.toString('latin1') ?? '')
/** A script argument as text. */
export const str = (arg: Buffer | undefined): string => arg?.toString('utf8') ?? ''
const fenceText = (fence: number): Buffer => Buffer.from(fence.toFixed(0), 'latin1')

function currentFence(db: MemoryDb, fenceKey: string): number {
  return Number(db.get(fenceKey)?.toString('latin1') ?? '0') || 0
}

function keepFence(db: MemoryDb, fenceKey: string, fence: number, keepMs: number): void {
  db.set(fenceKey, fenceText(fence), Math.max(keepMs, db.pttl(fenceKey)))
}

function newFence(db: MemoryDb, fenceKey: string, keepMs: number): number {
  const fence = Math.max(currentFence(db, fenceKey) + 1, db.timeMicros())
  keepFence(db, fenceKey, fence, keepMs)
  return fence
}

function publish(db: MemoryDb, args: readonly Buffer[], from: number, fence: number): void {
  const channel = str(args[from])
  if (channel !== '') db.publish(channel, `${str(args[from + 1])}${fence}${str(args[from + 2])}`)
}

/**
 * Fenced write. KEYS: value, fence. ARGV: fence ('' = take a new one), ttl ms, envelope head,
 * envelope tail, fence keep ms, channel ('' = none), message head, message tail.
 * Returns [1, fence] when written, [0, stored fence] when refused.
 */
export const writeEntryScript: StoreScript = {
  name: 'write',
  lua: `${LUA_NOTIFY}
local fence
local f
if ARGV[1] == '' then
  ${LUA_NEW_FENCE(5)}
else
  local current = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  fence = tonumber(ARGV[1])
  if fence < current then return {0, string.format('%.0f', current)} end
  f = string.format('%.0f', fence)
  local keep = tonumber(ARGV[5])
  local pttl = redis.call('PTTL', KEYS[2])
  if pttl > keep then keep = pttl end
  redis.call('SET', KEYS[2], f, 'PX', keep)
end
redis.call('SET', KEYS[1], ARGV[3] .. f .. ARGV[4], 'PX', ARGV[2])
if ARGV[6] ~= '' then notify(ARGV[6], ARGV[7] .. f .. ARGV[8]) end
return {1, f}`,
  memory(db, [valueKey = '', fenceKey = ''], args): ScriptReply {
    let fence: number
    if (str(args[0]) === '') {
      fence = newFence(db, fenceKey, num(args[4]))
    } else {
      fence = num(args[0])
      const current = currentFence(db, fenceKey)
      if (fence < current) return [0, fenceText(current)]
      keepFence(db, fenceKey, fence, num(args[4]))
    }
    const head = args[2] ?? Buffer.alloc(0)
    const tail = args[3] ?? Buffer.alloc(0)
    db.set(valueKey, Buffer.concat([head, fenceText(fence), tail]), num(args[1]))
    publish(db, args, 5, fence)
    return [1, fenceText(fence)]
  },
}

/**
 * The lock holder's re-check. KEYS: value, fence. ARGV: now (ms), fence keep ms, created after
 * (ms; a refresh only accepts an entry newer than the one it refreshes, a miss passes 0), peek
 * ('1': return the current fence instead of taking a newer one, for a waiter that timed out
 * while the holder may still be alive: its write must not refuse the holder's, defect 2).
 * Returns ['0', envelope] when such a fresh entry exists, else [fence]. Fresh markers (a
 * cached failure, a pass) count: a holder must not recompute what `errorTtl` cached.
 */
export const beginComputeScript: StoreScript = {
  name: 'begin',
  lua: `
local v = redis.call('GET', KEYS[1])
if v then
  local created, fresh = string.match(v, '${BEGIN_HEADER_LUA}')
  if fresh and tonumber(fresh) > tonumber(ARGV[1])
    and tonumber(created) > tonumber(ARGV[3] or '0') then return {'0', v} end
end
if ARGV[4] == '1' then
  local current = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
  if current > 0 then return {string.format('%.0f', current)} end
end
local fence
local f
${LUA_NEW_FENCE(2)}
return {f}`,
  memory(db, [valueKey = '', fenceKey = ''], args): ScriptReply {
    const value = db.get(valueKey)
    if (value !== undefined) {
      const match = BEGIN_HEADER_JS.exec(value.toString('latin1', 0, HEADER_PEEK_BYTES))
      const fresh = match !== null && Number(match[2]) > num(args[0])
      if (fresh && Number(match[1]) > num(args[2])) {
        return [Buffer.from('0'), value]
      }
    }
    const current = currentFence(db, fenceKey)
    if (str(args[3]) === '1' && current > 0) return [fenceText(current)]
    return [fenceText(newFence(db, fenceKey, num(args[1])))]
  },
}

/**
 * Delete an entry and take a new fence, so writes already in flight are refused.
 * KEYS: value, fence. ARGV: fence keep ms, channel ('' = none), message head, message tail.
 * Returns the number of value keys deleted (0 or 1).
 */
export const deleteEntryScript: StoreScript = {
  name: 'delete',
  lua: `${LUA_NOTIFY}
local n = redis.call('DEL', KEYS[1])
local fence
local f
${LUA_NEW_FENCE(1)}
if ARGV[2] ~= '' then notify(ARGV[2], ARGV[3] .. f .. ARGV[4]) end
return n`,
  memory(db, [valueKey = '', fenceKey = ''], args): ScriptReply {
    const deleted = db.delete(valueKey) ? 1 : 0
    publish(db, args, 1, newFence(db, fenceKey, num(args[0])))
    return deleted
  },
}

/**
 * A fenced notice ("failed", "pass"): published only while its fence is still the newest, so a
 * zombie holder that resumes after a takeover cannot fail or release the new holder's waiters
 * (defect 3 of issue 12). KEYS: fence. ARGV: fence, channel, message. Returns 1 when published.
 */
export const noticeScript: StoreScript = {
  name: 'notice',
  lua: `${LUA_NOTIFY}
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) < current then return 0 end
notify(ARGV[2], ARGV[3])
return 1`,
  memory(db, [fenceKey = ''], args): ScriptReply {
    if (num(args[0]) < currentFence(db, fenceKey)) return 0
    db.publish(str(args[1]), str(args[2]))
    return 1
  },
}
