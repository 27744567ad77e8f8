import type { createClient } from 'redis'

/** A plain node-redis client on the bench's Redis. */
export type Raw = ReturnType<typeof createClient>

/** Keep every command over 1 ms, and enough of them that none is pushed out of the log. */
export async function configureSlowlog(raw: Raw): Promise<void> {
  await raw.configSet('slowlog-log-slower-than', '1000')
  await raw.configSet('slowlog-max-len', '100000')
}

/** What SLOWLOG and INFO commandstats saw while one side ran. */
export interface Timed {
  /** Wall time, ms. */
  readonly ms: number
  /** The longest command logged, µs (0 when none took over 1 ms). */
  readonly longestUs: number
  /** Its name (`EVALSHA`, `SCAN`, …). */
  readonly longestName: string
  /** How many commands took over 10 ms. */
  readonly over10ms: number
  /** The command that took most server time in all, with its calls and mean µs per call. */
  readonly busiest: string
  /** CPU time the server used meanwhile (INFO cpu, user + sys), ms: less skewed by load. */
  readonly serverCpuMs: number
}

async function serverCpuMs(raw: Raw): Promise<number> {
  const info = await raw.info('cpu')
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1])
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000
}

async function commandStats(raw: Raw): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>()
  for (const line of (await raw.info('commandstats')).split('\n')) {
    const match = /^cmdstat_(\w+):calls=(\d+),usec=(\d+)/.exec(line)
    if (match) stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) })
  }
  return stats
}

function busiest(stats: Map<string, { calls: number; usec: number }>): string {
  const [name, top] = [...stats].sort((a, b) => b[1].usec - a[1].usec)[0] ?? ['none', undefined]
  if (top === undefined) return 'none'
  return `${name.toUpperCase()} ${top.calls} calls, ${(top.usec / top.calls).toFixed(0)} µs mean`
}

/** Time `work`, with the slow commands and the command statistics Redis kept meanwhile. */
export async function timedWithSlowlog(raw: Raw, work: () => Promise<unknown>): Promise<Timed> {
  await raw.sendCommand(['SLOWLOG', 'RESET'])
  await raw.configResetStat()
  const cpuBefore = await serverCpuMs(raw)
  const started = performance.now()
  await work()
  const ms = performance.now() - started
  const cpu = (await serverCpuMs(raw)) - cpuBefore
  const stats = await commandStats(raw)
  const log = await raw.sendCommand<unknown[][]>(['SLOWLOG', 'GET', '-1'])
  let [longestUs, longestName, over10ms] = [0, 'none', 0]
  for (const entry of log) {
    const us = Number(entry[2])
    const args = entry[3] as (string | Buffer)[] | undefined
    const name = (args?.[0] ?? '?').toString().toUpperCase()
    if (us > 10_000) over10ms++
    if (us > longestUs) [longestUs, longestName] = [us, name]
  }
  return { ms, longestUs, longestName, over10ms, busiest: busiest(stats), serverCpuMs: cpu }
}

/** Print the longest single command of both sides (SLOWLOG keeps those over 1 ms). */
export function printLongest(scenario: string, ours: Timed, theirs: Timed, limitUs?: number) {
  const verdict =
    limitUs === undefined ? '' : ours.longestUs <= limitUs ? ' ✔' : ` ✘ (limit ${limitUs} µs)`
  const show = (t: Timed): string =>
    t.longestUs === 0
      ? 'none over 1 ms'
      : `${t.longestUs} µs (${t.longestName}; ${t.over10ms} over 10 ms)`
  console.log(
    `${scenario}: longest Redis command ${show(ours)}${verdict}; baseline ${show(theirs)}\n` +
      `  most server time: herdlock ${ours.busiest}; baseline ${theirs.busiest}\n` +
      `  server CPU: herdlock ${ours.serverCpuMs.toFixed(0)} ms, baseline ` +
      `${theirs.serverCpuMs.toFixed(0)} ms (${(ours.serverCpuMs / theirs.serverCpuMs).toFixed(2)}x)`,
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
