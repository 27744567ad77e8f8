import { execFileSync } from 'node:child_process'
import { cpus, platform, release, totalmem } from 'node:os'
import { boundsOf } from './check/bounds.js'
import { INVARIANTS } from './check/checker.js'
import type { Invariant, Violation } from './check/params.js'
import { NAMESPACES } from './model.js'
import type { SoakOutcome } from './orchestrator.js'
import { describeSchedule } from './schedule.js'
import { checkParams } from './settings.js'

/** One line per invariant: what it demands (the modules in check/ hold the exact rules). */
const DEFINITIONS: Readonly<Record<Invariant, string>> = {
  runs: 'one function run per key per expiry; each extra run accounted for by an outage or a pause of the holder (or of the extra run’s process), one per key per pause',
  freshness:
    'no read returns data older than an invalidation that resolved before the read started (same process: strictly; other processes: after propagationMs of their running time)',
  bounds:
    'no call slower than its bound (tiers below; own SIGSTOP time not counted); no call left unsettled',
  errors:
    'callers only ever see the function’s own error, from a failed run of that key during the call',
  'failure-provenance':
    'no caller in another process receives the failure of a run superseded by another run (stale notice)',
  crash: 'no unhandled rejection or uncaught exception in any process',
  memory: 'heap and RSS flat after warm-up (median of last third vs first third)',
  exit: 'every worker exits by itself with code 0 after closing its cache',
}

const LIST_LIMIT = 40

/** The Markdown report of a run: every figure, then every violation (grouped by invariant). */
export function renderReport(outcome: SoakOutcome, command: string): string {
  const { result, settings } = outcome
  const failed = result.violations.length > 0
  const lines = [
    '# herdlock soak report',
    '',
    `- Command: \`${command}\``,
    `- Seed: ${settings.seed} (replay the fault schedule with \`--seed ${settings.seed}\`)`,
    `- Commit: ${commit()}`,
    `- Machine: ${machine()}`,
    `- Run: ${settings.workers} workers (L1 on in workers ${evenWorkers(settings.workers)}), ${settings.durationMs / 1000} s of traffic (${((outcome.endedAt - outcome.startedAt) / 1000).toFixed(1)} s with shutdown), ${outcome.schedule.length} faults`,
    `- Settings: commandTimeout ${settings.commandTimeoutMs} ms, lockTtl ${settings.lockTtlMs} ms, waitTimeout ${settings.waitTimeoutMs} ms, fn ${settings.fnMinMs}-${settings.fnMaxMs} ms (fails ${settings.failRate * 100}%), ${settings.concurrency} loops per worker, 1 op in ${settings.invalidateOneIn} an invalidation`,
    `- Keys: ${NAMESPACES.map((ns) => `${ns.name} (ttl ${ns.ttlMs} ms${ns.swrMs ? `, swr ${ns.swrMs} ms` : ''})`).join(', ')}; 6 keys each, one tag each`,
    '',
    `## Result: ${failed ? `FAIL, ${result.violations.length} violations` : 'PASS, no violation'}`,
    '',
    '| invariant | rule | violations |',
    '|---|---|---|',
    ...INVARIANTS.map((name) => `| ${name} | ${DEFINITIONS[name]} | ${result.byInvariant[name]} |`),
    '',
    ...figures(outcome),
    ...violationSections(outcome),
  ]
  return `${lines.join('\n')}\n`
}

function figures(outcome: SoakOutcome): string[] {
  const { result } = outcome
  const params = checkParams(outcome.settings, outcome.startedAt)
  const bounds = boundsOf(params)
  const events = count(
    outcome.history.events.map((e) =>
      e.name === 'error' ? `error ${e.detail?.split(':')[0]}` : e.name,
    ),
  )
  return [
    '## Figures',
    '',
    `- Calls: ${total(result.calls)} (${entries(result.calls)})`,
    `- Invalidations: ${Object.entries(result.invalidations)
      .map(([kind, n]) => `${kind} ${n.ok} ok / ${n.rejected} rejected`)
      .join(', ')}`,
    `- Function runs: ${result.runs.runs} (${result.runs.failedRuns} failed on purpose) in ${result.runs.epochs} key epochs; extra runs accounted for: ${entries(result.runs.accounted) || 'none'}; unaccounted: ${result.runs.unaccounted}`,
    `- Reads checked for freshness: ${result.freshness.reads}, of which ${result.freshness.bound} came after an invalidation of their key; stale: ${result.freshness.staleReads}`,
    `- Faults: ${entries(result.faults) || 'none'}`,
    `- Cache events: ${entries(events) || 'none'}`,
    `- Allowances: fn bound ${params.fnMaxMs} ms, poll ${params.pollMaxMs} ms, recovery after a fault ${params.recoveryMs} ms, propagation ${params.propagationMs} ms, memory warm-up ${params.warmupMs / 1000} s`,
    '',
    '| bound tier | bound (ms) | operations | p99 (ms) | max (ms) |',
    '|---|---|---|---|---|',
    ...Object.entries(result.bounds).map(
      ([tier, s]) =>
        `| ${tier} | ${bounds[tier as keyof typeof bounds]} | ${s.calls} | ${s.p99Ms} | ${s.maxMs} |`,
    ),
    '',
    '| worker | samples after warm-up | heap MB (first → last third) | RSS MB (first → last third) | max RSS MB |',
    '|---|---|---|---|---|',
    ...result.memory.map(
      (m) =>
        `| ${m.worker} | ${m.samples}${m.judged ? '' : ' (too few: not judged)'} | ${m.heapStartMb} → ${m.heapEndMb} | ${m.rssStartMb} → ${m.rssEndMb} | ${m.maxRssMb} |`,
    ),
    '',
    `Exits: ${outcome.history.exits.map((e) => `worker ${e.worker} ${e.killed ? 'KILLED' : `code ${e.code}`}`).join(', ')}`,
    '',
    '## Fault schedule',
    '',
    '```',
    ...describeSchedule(outcome.schedule),
    '```',
    '',
  ]
}

function violationSections(outcome: SoakOutcome): string[] {
  const { violations } = outcome.result
  if (violations.length === 0) return []
  const lines = ['## Violations', '']
  for (const invariant of INVARIANTS) {
    const mine = violations.filter((v) => v.invariant === invariant)
    if (mine.length === 0) continue
    lines.push(`### ${invariant} (${mine.length})`, '')
    for (const violation of mine.slice(0, LIST_LIMIT))
      lines.push(`- ${describe(violation, outcome.startedAt)}`)
    if (mine.length > LIST_LIMIT) lines.push(`- ... and ${mine.length - LIST_LIMIT} more`)
    lines.push('')
  }
  return lines
}

function describe(violation: Violation, startedAt: number): string {
  const at = `+${((violation.at - startedAt) / 1000).toFixed(2)} s`
  const key = violation.key === undefined ? '' : ` \`${violation.key}\``
  const fault =
    violation.precedingFault === undefined
      ? 'no fault before it'
      : `after ${violation.precedingFault}`
  return `${at}${key}: ${violation.message}; ${fault}`
}

function count(names: readonly string[]): Record<string, number> {
  const result: Record<string, number> = {}
  for (const name of names) result[name] = (result[name] ?? 0) + 1
  return result
}

function entries(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`)
    .join(', ')
}

function total(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0)
}

function evenWorkers(workers: number): string {
  return Array.from({ length: workers }, (_, i) => i)
    .filter((i) => i % 2 === 0)
    .join(', ')
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim()
    return dirty === '' ? head : `${head} (with uncommitted changes)`
  } catch {
    return 'unknown'
  }
}

function machine(): string {
  const cpu = cpus()
  const redis = (() => {
    try {
      return execFileSync(process.env['REDIS_SERVER_BIN'] ?? 'redis-server', ['--version'], {
        encoding: 'utf8',
      }).split(' ')[2]
    } catch {
      return 'redis-server ?'
    }
  })()
  const memory = `${Math.round(totalmem() / 2 ** 30)} GiB`
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? '?'}, ${memory}, ${platform()} ${release()}, Node ${process.version}, redis-server ${redis?.replace('v=', '')}`
}
