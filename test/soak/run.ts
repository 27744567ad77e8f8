/**
 * `npm run soak`: N worker processes x M minutes of mixed cacheFn traffic against a store and
 * 3 Redlock nodes while a seeded fault schedule pauses, kills and restarts servers, kills
 * subscriber connections and SIGSTOPs workers; then the invariant check and a Markdown report.
 * Exits 1 on any violation.
 *
 *   npm run soak -- [--workers 4] [--minutes 3 | --seconds 30] [--seed N] [--report FILE] [--keep-logs]
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { killAllLocal } from '../support/local-redis.js'
import { runSoak } from './orchestrator.js'
import { freshSeed } from './random.js'
import { renderReport } from './report.js'
import { DEFAULT_SETTINGS, type SoakSettings } from './settings.js'

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '4' },
    minutes: { type: 'string' },
    seconds: { type: 'string' },
    seed: { type: 'string' },
    report: { type: 'string' },
    'keep-logs': { type: 'boolean', default: false },
  },
})

function settingsFromArgs(): SoakSettings {
  const workers = Number(values.workers)
  if (!Number.isInteger(workers) || workers < 2 || workers > 16)
    fail('--workers takes an integer from 2 to 16')
  const minutes = values.minutes === undefined ? undefined : Number(values.minutes)
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds)
  if (minutes !== undefined && seconds !== undefined) fail('give --minutes or --seconds, not both')
  if (minutes !== undefined && !(minutes > 0 && minutes <= 30))
    fail('--minutes takes a number above 0, at most 30')
  if (seconds !== undefined && !(seconds >= 15 && seconds <= 1_800))
    fail('--seconds takes a number from 15 to 1800')
  const durationMs = seconds !== undefined ? seconds * 1_000 : (minutes ?? 3) * 60_000
  const seed = values.seed === undefined ? freshSeed() : Number(values.seed)
  if (!Number.isInteger(seed) || seed < 0) fail('--seed takes a non-negative integer')
  return { ...DEFAULT_SETTINGS, seed, workers, durationMs }
}

function fail(message: string): never {
  console.error(`soak: ${message}`)
  process.exit(2)
}

process.once('exit', killAllLocal)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllLocal()
    process.exit(130)
  })
}

const settings = settingsFromArgs()
const command = `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim()
const outcome = await runSoak(settings, (line) => console.log(line), values['keep-logs'])
const report = renderReport(
  outcome,
  values.seed === undefined ? `${command} (seed ${settings.seed})` : command,
)
console.log(`\n${report}`)
if (values.report !== undefined) writeFileSync(values.report, report)
if (values['keep-logs']) console.log(`worker logs kept in ${outcome.logDir}`)
process.exitCode = outcome.result.violations.length > 0 ? 1 : 0
