import type { createClient } from 'redis'

/** A plain node-redis client on the bench's Redis. */
export type Raw = ReturnType<typeof createClient>

/** Keep every command over 1 ms, and enough of them that none is pushed out of the log. */
export async function configureSlowlog(raw: Raw): Promise<void> {
  await raw.configSet('slowlog-log-slower-than', '1000')
  await raw.configSet('slowlog-max-len', '100000')
}

/** ms of `work`, and the longest command Redis logged meanwhile (µs; 0 when none over 1 ms). */
export async function timedWithSlowlog(
  raw: Raw,
  work: () => Promise<unknown>,
): Promise<{ ms: number; longestUs: number }> {
  await raw.sendCommand(['SLOWLOG', 'RESET'])
  const started = performance.now()
  await work()
  const ms = performance.now() - started
  const log = await raw.sendCommand<unknown[][]>(['SLOWLOG', 'GET', '-1'])
  const longestUs = Math.max(0, ...log.map((entry) => Number(entry[2])))
  return { ms, longestUs }
}

/** Print the longest single command of both sides (SLOWLOG keeps those over 1 ms). */
export function printLongest(scenario: string, ours: number, theirs: number, limitUs?: number) {
  const verdict = limitUs === undefined ? '' : ours <= limitUs ? ' ✔' : ` ✘ (limit ${limitUs} µs)`
  const show = (us: number): string => (us === 0 ? 'none over 1 ms' : `${us} µs`)
  console.log(
    `${scenario}: longest Redis command ${show(ours)}${verdict}; baseline ${show(theirs)}`,
  )
}

/** Delete every key matching `pattern` (untimed cleanup between sizes). */
export async function unlinkAll(raw: Raw, pattern: string): Promise<number> {
  let removed = 0
  let cursor = '0'
  do {
    const reply = await raw.scan(cursor, { MATCH: pattern, COUNT: 1_000 })
    cursor = String(reply.cursor)
    if (reply.keys.length > 0) removed += await raw.unlink(reply.keys)
  } while (cursor !== '0')
  return removed
}
