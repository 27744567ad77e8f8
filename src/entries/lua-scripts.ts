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

// The re-check reads an entry's createdAt, freshUntil and kind from its header, in both dialects.
const BEGIN_HEADER_LUA = envelopeHeaderPattern('lua', ['createdAt', 'freshUntil', 'kind'])
const BEGIN_HEADER_JS = new RegExp(envelopeHeaderPattern('js', ['createdAt', 'freshUntil', 'kind']))

const num = (arg: Buffer | undefined): number => Number(arg?.toString('latin1') ?? '')
const str = (arg: Buffer | undefined): string => arg?.toString('utf8') ?? ''
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
  lua: `
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
if ARGV[6] ~= '' then redis.call('PUBLISH', ARGV[6], ARGV[7] .. f .. ARGV[8]) end
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
  lua: `
local n = redis.call('DEL', KEYS[1])
local fence
local f
${LUA_NEW_FENCE(1)}
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3] .. f .. ARGV[4]) end
return n`,
  memory(db, [valueKey = '', fenceKey = ''], args): ScriptReply {
    const deleted = db.delete(valueKey) ? 1 : 0
    publish(db, args, 1, newFence(db, fenceKey, num(args[0])))
    return deleted
  },
}

// Lua: the server time in ms, in the local `now`.
const LUA_NOW_MS = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`

const nowMs = (db: MemoryDb): number => Math.floor(db.timeMicros() / 1000)

/**
 * Add a value key to a tag set: a sorted set scored by when each member's entry expires. Members
 * whose entry has expired are dropped on every add, and the set expires with its last live
 * member, so a tag set never holds more than the entries written with the tag that may still
 * exist (a rewrite updates its member, never adds one). With ARGV[3] '1' (a computation's
 * registration before its function runs) the member's score is only ever raised, so a
 * registration never shortens the life of a member an entry or another computation set.
 * KEYS: tag set. ARGV: ttl ms, member, '1' to only raise the score.
 */
export const tagAddScript: StoreScript = {
  name: 'tag-add',
  lua: `${LUA_NOW_MS}
local score = string.format('%.0f', now + tonumber(ARGV[1]))
if ARGV[3] == '1' then redis.call('ZADD', KEYS[1], 'GT', score, ARGV[2])
else redis.call('ZADD', KEYS[1], score, ARGV[2]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now)) end
return 1`,
  memory(db, [setKey = ''], args): ScriptReply {
    const now = nowMs(db)
    const score = now + num(args[0])
    const member = str(args[1])
    const current = db.sortedScore(setKey, member)
    if (str(args[2]) !== '1' || current === undefined || current < score) {
      db.sortedAdd(setKey, score, member)
    }
    db.sortedTrim(setKey, now)
    const last = db.sortedMaxScore(setKey)
    if (last !== undefined) db.expire(setKey, Math.max(1, last - now))
    return 1
  },
}

/**
 * Take (read and remove) up to ARGV[1] members of a tag set, soonest to expire first, after
 * dropping the expired ones: invalidation reads a big tag in bounded batches until it is empty.
 * KEYS: tag set. ARGV: batch size. Returns the members taken.
 */
export const tagTakeScript: StoreScript = {
  name: 'tag-take',
  lua: `${LUA_NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
local popped = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[1]))
local members = {}
for i = 1, #popped, 2 do members[#members + 1] = popped[i] end
return members`,
  memory(db, [setKey = ''], args): ScriptReply {
    db.sortedTrim(setKey, nowMs(db))
    return db.sortedPopMin(setKey, num(args[0])).map((member) => Buffer.from(member, 'utf8'))
  },
}

/**
 * Put back members an invalidation took but could not delete the entries of, so a retry finds
 * them: each is held for ARGV[1] ms at least (its score is only raised: a computation may have
 * registered it again meanwhile). KEYS: tag set. ARGV: hold ms, members.
 */
export const tagRestoreScript: StoreScript = {
  name: 'tag-restore',
  lua: `${LUA_NOW_MS}
local score = string.format('%.0f', now + tonumber(ARGV[1]))
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'GT', score, ARGV[i]) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now)) end
return 1`,
  memory(db, [setKey = ''], args): ScriptReply {
    const now = nowMs(db)
    const score = now + num(args[0])
    for (const arg of args.slice(1)) {
      const member = str(arg)
      if ((db.sortedScore(setKey, member) ?? -Infinity) < score) db.sortedAdd(setKey, score, member)
    }
    const last = db.sortedMaxScore(setKey)
    if (last !== undefined) db.expire(setKey, Math.max(1, last - now))
    return 1
  },
}

/**
 * A fenced notice ("failed", "pass"): published only while its fence is still the newest, so a
 * zombie holder that resumes after a takeover cannot fail or release the new holder's waiters
 * (defect 3 of issue 12). KEYS: fence. ARGV: fence, channel, message. Returns 1 when published.
 */
export const noticeScript: StoreScript = {
  name: 'notice',
  lua: `
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) < current then return 0 end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`,
  memory(db, [fenceKey = ''], args): ScriptReply {
    if (num(args[0]) < currentFence(db, fenceKey)) return 0
    db.publish(str(args[1]), str(args[2]))
    return 1
  },
}
