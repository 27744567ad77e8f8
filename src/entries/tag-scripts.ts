import type { MemoryDb, ScriptReply, StoreScript } from '../store/store.js'
import { num, str } from './lua-scripts.js'

/**
 * The tag-set scripts. A tag set is a sorted set of value keys scored by when each member's
 * entry expires (`<prefix>:tz:{<tag>}`); beside it, in the same hash slot, a tag's pending set
 * (`<prefix>:tp:{<tag>}`) holds the members an invalidation has taken but not yet settled.
 *
 * Why a pending set: an invalidation takes members in batches, deletes their entries, then
 * settles them. Were the take destructive, a take whose reply was lost (a paused server that ran
 * it later, a timeout) or a batch whose deletes failed would lose those members for good: their
 * entries would outlive every later invalidation of the tag. Members move from the tag set to
 * the pending set atomically, and leave the pending set only once their entries are deleted; a
 * later invalidation takes what an earlier one left pending first.
 */

// Lua: the server time in ms, in the local `now`.
const LUA_NOW_MS = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`

// Lua: expire KEYS[i] with its last live member (members are scored by expiry).
const LUA_EXPIRE_WITH_LAST = (i: number): string => `
do
  local last = redis.call('ZRANGE', KEYS[${i}], -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIRE', KEYS[${i}], math.max(1, tonumber(last[2]) - now)) end
end`

const nowMs = (db: MemoryDb): number => Math.floor(db.timeMicros() / 1000)

function expireWithLast(db: MemoryDb, key: string, now: number): void {
  const last = db.sortedMaxScore(key)
  if (last !== undefined) db.expire(key, Math.max(1, last - now))
}

/** Add `member` with `score`, or raise its score: never lowers one (ZADD GT). */
function raise(db: MemoryDb, key: string, score: number, member: string): void {
  const current = db.sortedScore(key, member)
  if (current === undefined || current < score) db.sortedAdd(key, score, member)
}

/**
 * Add a value key to a tag set. Members whose entry has expired are dropped on every add, and
 * the set expires with its last live member, so a tag set never holds more than the entries
 * written with the tag that may still exist (a rewrite updates its member, never adds one).
 * With ARGV[3] '1' (a computation's registration before its function runs) the member's score
 * is only ever raised, so a registration never shortens the life of a member an entry or another
 * computation set. KEYS: tag set. ARGV: ttl ms, member, '1' to only raise the score.
 */
export const tagAddScript: StoreScript = {
  name: 'tag-add',
  lua: `${LUA_NOW_MS}
local score = string.format('%.0f', now + tonumber(ARGV[1]))
if ARGV[3] == '1' then redis.call('ZADD', KEYS[1], 'GT', score, ARGV[2])
else redis.call('ZADD', KEYS[1], score, ARGV[2]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
${LUA_EXPIRE_WITH_LAST(1)}
return 1`,
  memory(db, [setKey = ''], args): ScriptReply {
    const now = nowMs(db)
    const score = now + num(args[0])
    const member = str(args[1])
    if (str(args[2]) === '1') raise(db, setKey, score, member)
    else db.sortedAdd(setKey, score, member)
    db.sortedTrim(setKey, now)
    expireWithLast(db, setKey, now)
    return 1
  },
}

/**
 * Take up to ARGV[1] members for an invalidation, without losing any: expired members are
 * dropped from both sets; while the pending set holds fewer than the batch and the tag set is
 * not empty, the tag set's soonest-to-expire members move into it (keeping the higher score of
 * a member already pending: such a merge adds nothing, so the move repeats); then the batch is
 * read from the pending set, lowest scores first. A batch smaller than ARGV[1] therefore means
 * the tag set is empty (the invalidation's loop ends on it). Nothing leaves
 * the pending set here (see `tagSettleScript`). KEYS: tag set, pending set. ARGV: batch size.
 * Returns member, score, member, score, ...
 */
export const tagTakeScript: StoreScript = {
  name: 'tag-take',
  lua: `${LUA_NOW_MS}
local past = string.format('%.0f', now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', past)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', past)
local count = tonumber(ARGV[1])
local short = count - redis.call('ZCARD', KEYS[2])
while short > 0 do
  local moved = redis.call('ZPOPMIN', KEYS[1], short)
  if #moved == 0 then break end
  for i = 1, #moved, 2 do redis.call('ZADD', KEYS[2], 'GT', moved[i + 1], moved[i]) end
  short = count - redis.call('ZCARD', KEYS[2])
end
${LUA_EXPIRE_WITH_LAST(2)}
return redis.call('ZRANGE', KEYS[2], 0, count - 1, 'WITHSCORES')`,
  memory(db, [setKey = '', pendingKey = ''], args): ScriptReply {
    const now = nowMs(db)
    db.sortedTrim(setKey, now)
    db.sortedTrim(pendingKey, now)
    const count = num(args[0])
    for (;;) {
      const short = count - db.sortedRange(pendingKey, count).length
      const moved = short > 0 ? db.sortedRange(setKey, short) : []
      if (moved.length === 0) break
      for (const [member, score] of moved) {
        db.sortedRemove(setKey, member)
        raise(db, pendingKey, score, member)
      }
    }
    expireWithLast(db, pendingKey, now)
    return db
      .sortedRange(pendingKey, count)
      .flatMap(([member, score]) => [Buffer.from(member), Buffer.from(score.toFixed(0))])
  },
}

/**
 * Settle members whose entries an invalidation deleted: each leaves the pending set unless its
 * score rose since it was taken (another invalidation moved a newer registration of the same
 * key in, and that one must still delete the entry). KEYS: pending set. ARGV: member, score
 * (as taken), member, score, ... Returns how many left.
 */
export const tagSettleScript: StoreScript = {
  name: 'tag-settle',
  lua: `
local settled = 0
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) <= tonumber(ARGV[i + 1]) then
    settled = settled + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return settled`,
  memory(db, [pendingKey = ''], args): ScriptReply {
    let settled = 0
    for (let i = 0; i + 1 < args.length; i += 2) {
      const member = str(args[i])
      const score = db.sortedScore(pendingKey, member)
      if (score !== undefined && score <= num(args[i + 1]) && db.sortedRemove(pendingKey, member)) {
        settled++
      }
    }
    return settled
  },
}
