import type { History, MemoryRecord } from '../history.js'
import { precedingFault, type CheckParams, type Violation } from './params.js'

/**
 * Process health: no unhandled rejection or uncaught exception anywhere; every worker exits by
 * itself with code 0 once asked to stop (not killed, no signal); memory flat after warm-up:
 * for each worker, the samples taken after `startedAt + warmupMs` are split in thirds and the
 * median heapUsed (resp. RSS) of the last third may exceed that of the first third by at most
 * `heapGrowthMaxBytes` (resp. `rssGrowthMaxBytes`). A worker with fewer than 6 samples after
 * warm-up is not judged (reported as such).
 */
export interface MemoryStats {
  readonly worker: number
  readonly samples: number
  readonly heapStartMb: number
  readonly heapEndMb: number
  readonly rssStartMb: number
  readonly rssEndMb: number
  readonly maxRssMb: number
  readonly judged: boolean
}

export function checkHealth(
  history: History,
  params: CheckParams,
): { violations: Violation[]; memory: MemoryStats[] } {
  const violations: Violation[] = history.crashes.map((crash) => ({
    invariant: 'crash',
    at: crash.at,
    worker: crash.worker,
    message: `${crash.kind} in ${crash.worker < 0 ? 'the parent' : `worker ${crash.worker}`}: ${crash.message}`,
    precedingFault: precedingFault(history.faults, crash.at),
  }))
  for (const exit of history.exits) {
    if (exit.code === 0 && exit.signal === null && !exit.killed) continue
    const how = exit.killed
      ? `did not exit by itself and was killed${exit.leaked?.length ? `; open handles: ${exit.leaked.join(', ')}` : ''}`
      : `exited with code ${exit.code} signal ${exit.signal}`
    violations.push({
      invariant: 'exit',
      at: Date.now(),
      worker: exit.worker,
      message: `worker ${exit.worker} ${how}`,
    })
  }
  const memory = memoryStats(history.memory, params)
  for (const stats of memory) {
    if (!stats.judged) continue
    const heap = (stats.heapEndMb - stats.heapStartMb) * MB
    const rss = (stats.rssEndMb - stats.rssStartMb) * MB
    if (heap <= params.heapGrowthMaxBytes && rss <= params.rssGrowthMaxBytes) continue
    violations.push({
      invariant: 'memory',
      at: Date.now(),
      worker: stats.worker,
      message:
        `worker ${stats.worker} grew after warm-up: heap ${stats.heapStartMb} -> ${stats.heapEndMb} MB, ` +
        `rss ${stats.rssStartMb} -> ${stats.rssEndMb} MB (limits +${params.heapGrowthMaxBytes / MB} / ` +
        `+${params.rssGrowthMaxBytes / MB} MB)`,
    })
  }
  return { violations, memory }
}

const MB = 1024 * 1024

function memoryStats(samples: readonly MemoryRecord[], params: CheckParams): MemoryStats[] {
  const workers = [...new Set(samples.map((sample) => sample.worker))].sort((a, b) => a - b)
  return workers.map((worker) => {
    const mine = samples
      .filter(
        (sample) => sample.worker === worker && sample.at >= params.startedAt + params.warmupMs,
      )
      .sort((a, b) => a.at - b.at)
    const third = Math.floor(mine.length / 3)
    const first = mine.slice(0, Math.max(third, 1))
    const last = mine.slice(mine.length - Math.max(third, 1))
    const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10
    return {
      worker,
      samples: mine.length,
      heapStartMb: mb(median(first.map((s) => s.heapUsed))),
      heapEndMb: mb(median(last.map((s) => s.heapUsed))),
      rssStartMb: mb(median(first.map((s) => s.rss))),
      rssEndMb: mb(median(last.map((s) => s.rss))),
      maxRssMb: mb(Math.max(0, ...mine.map((s) => s.rss))),
      judged: mine.length >= 6,
    }
  })
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}
