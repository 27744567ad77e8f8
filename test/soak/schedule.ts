import type { FaultKind } from './history.js'
import { Random } from './random.js'
import type { SoakSettings } from './settings.js'

/**
 * The fault schedule: a pure function of the seed and the run's shape, printed at the start of
 * every run, so a run's faults can be replayed with `--seed`. Faults never overlap: each starts
 * a random gap after the previous one ended, none in the quiet start and end of the run.
 */
export interface PlannedFault {
  readonly id: string
  /** Offset from the start of traffic. */
  readonly atMs: number
  readonly kind: FaultKind
  /** How long the fault lasts (a pause, a server's downtime); 0 for a connection kill. */
  readonly durationMs: number
  /** Indexes of the lock nodes or worker it hits (none for the store). */
  readonly targets: readonly number[]
}

const WEIGHTS: Readonly<Record<FaultKind, number>> = {
  'worker-pause': 3,
  'store-pause': 2,
  'pubsub-kill': 2,
  'lock-pause': 2,
  'store-restart': 1,
  'lock-restart': 1,
  'lock-quorum': 1,
}

export function makeSchedule(settings: SoakSettings): PlannedFault[] {
  const random = new Random(settings.seed ^ 0x5eed)
  const faults: PlannedFault[] = []
  let at = settings.quietStartMs
  for (;;) {
    at += random.int(settings.faultGapMinMs, settings.faultGapMaxMs)
    const kind = random.weighted(WEIGHTS)
    const durationMs = duration(kind, random, settings)
    if (at + durationMs > settings.durationMs - settings.quietEndMs) return faults
    const targets = targetsOf(kind, random, settings.workers)
    faults.push({ id: `f${faults.length + 1}`, atMs: at, kind, durationMs, targets })
    at += durationMs
  }
}

function duration(kind: FaultKind, random: Random, settings: SoakSettings): number {
  switch (kind) {
    case 'pubsub-kill':
      return 0
    case 'lock-restart':
      // Redlock's delayed restart: a node comes back only after every lock it held expired.
      return settings.lockTtlMs + random.int(200, 2_000)
    case 'store-restart':
      return random.int(200, 1_500)
    case 'worker-pause':
      return random.int(200, 2_500)
    default:
      return random.int(300, 2_500)
  }
}

function targetsOf(kind: FaultKind, random: Random, workers: number): number[] {
  switch (kind) {
    case 'worker-pause':
    case 'pubsub-kill':
      return [random.int(0, workers - 1)]
    case 'lock-pause':
    case 'lock-restart':
      return [random.int(0, 2)]
    case 'lock-quorum': {
      const spared = random.int(0, 2)
      return [0, 1, 2].filter((node) => node !== spared)
    }
    default:
      return []
  }
}

/** The target as the history names it. */
export function targetName(fault: PlannedFault): string {
  if (fault.kind === 'worker-pause') return `worker-${fault.targets[0]}`
  if (fault.kind === 'pubsub-kill') return `worker-${fault.targets[0]}-subscriber`
  if (fault.targets.length > 0) return fault.targets.map((node) => `lock-${node}`).join('+')
  return 'store'
}

/** One line per fault, as printed at the start of a run. */
export function describeSchedule(faults: readonly PlannedFault[]): string[] {
  return faults.map(
    (fault) =>
      `${fault.id.padEnd(4)} +${(fault.atMs / 1000).toFixed(2).padStart(7)} s  ${fault.kind.padEnd(13)} ` +
      `${targetName(fault).padEnd(14)} ${(fault.durationMs / 1000).toFixed(2)} s`,
  )
}
