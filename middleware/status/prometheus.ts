import type {
  HealthReport,
  LatencySnapshot,
  NamespaceStatsSnapshot,
  StatsSnapshot,
} from '../../src/core.js'

/**
 * Prometheus text exposition (format 0.0.4) of a stats snapshot and a health report. It renders
 * exactly the figures of the JSON status document, so the two never disagree. Durations are in
 * seconds, as Prometheus expects; counters end in `_total`; totals across namespaces are left
 * to PromQL (`sum by ()`).
 */

/** The Content-Type of the exposition. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

type Labels = Readonly<Record<string, string>>
type Sample = readonly [Labels, number]
type PerNamespace = (ns: NamespaceStatsSnapshot) => readonly Sample[]

/** Counters read from each namespace: name, help, and the samples of one namespace. */
const NAMESPACE_COUNTERS: readonly (readonly [string, string, PerNamespace])[] = [
  ['hits_total', 'Fresh values served, by tier.', (s) => byKey('tier', s.hitsByTier)],
  ['misses_total', 'Lookups that found no usable value.', (s) => [[{}, s.misses]]],
  ['stale_total', 'Stale values served, by reason.', (s) => byKey('reason', s.staleByReason)],
  ['bypasses_total', 'Calls that bypassed the cache.', (s) => byKey('reason', s.bypassesByReason)],
  [
    'not_stored_total',
    'Results deliberately not stored, by reason.',
    (s) => byKey('reason', s.notStoredByReason),
  ],
  ['stores_total', 'Values written.', (s) => [[{}, s.stores]]],
  ['stored_bytes_total', 'Encoded bytes written.', (s) => [[{}, s.storedBytes]]],
  [
    'fn_runs_total',
    'Runs of the cached function here, by why it ran here.',
    (s) => byKey('reason', s.fnRunsByReason),
  ],
  ['fn_errors_total', 'Runs of the cached function that failed.', (s) => [[{}, s.fnErrors]]],
  ['fn_timeouts_total', 'Soft and hard timeouts.', (s) => byKey('kind', s.fnTimeouts)],
  ['coalesced_total', 'Calls that shared an in-process flight.', (s) => [[{}, s.coalesced]]],
  [
    'waits_total',
    "Waits for another instance's computation, by outcome.",
    (s) => byKey('outcome', s.waitsByOutcome),
  ],
  ['wakeups_total', 'Waiters woken, by message or by poll.', (s) => byKey('by', s.wakeups)],
  ['lock_total', 'Distributed lock outcomes.', (s) => byKey('outcome', s.lock)],
  ['fence_rejected_total', 'Writes refused by a newer fence.', (s) => [[{}, s.fenceRejected]]],
  ['corrupt_total', 'Stored entries that could not be decoded.', (s) => [[{}, s.corrupt]]],
]

/** Cache-wide counters: name, help, label, the counts by label value. */
const GLOBAL_COUNTERS: readonly (readonly [
  string,
  string,
  string,
  (s: StatsSnapshot) => Readonly<Record<string, number>>,
])[] = [
  ['errors_total', 'Infrastructure errors, by source.', 'source', (s) => s.errorsBySource],
  [
    'breaker_transitions_total',
    'Circuit-breaker transitions, by state entered.',
    'state',
    (s) => s.breakerTransitions,
  ],
  ['invalidations_total', 'Invalidation calls, by kind.', 'by', (s) => s.invalidations],
  ['l1_evictions_total', 'Entries dropped from L1, by reason.', 'reason', (s) => s.l1Evictions],
]

const HISTOGRAMS: readonly (readonly [string, string, keyof NamespaceStatsSnapshot['latency']])[] =
  [
    ['hit_duration_seconds', 'Latency of lookups that hit.', 'hit'],
    ['miss_duration_seconds', 'Latency of lookups that missed.', 'miss'],
    ['lock_wait_duration_seconds', "Time spent waiting for another instance's value.", 'lockWait'],
    ['fn_duration_seconds', 'Run time of the cached function.', 'fn'],
  ]

/** Render the exposition. Metric names start with `prefix` (default `herdlock_`). */
export function renderPrometheus(
  stats: StatsSnapshot,
  health: HealthReport,
  prefix = 'herdlock_',
): string {
  const out = new Exposition(prefix)
  const namespaces = Object.entries(stats.namespaces)
  for (const [name, help, read] of NAMESPACE_COUNTERS) {
    out.family(name, 'counter', help, perNamespace(namespaces, read))
  }
  out.family(
    'hit_ratio',
    'gauge',
    'hits / (hits + misses) since the counters started.',
    perNamespace(namespaces, (s) => [[{}, s.hitRatio]]),
  )
  for (const [name, help, label, read] of GLOBAL_COUNTERS) {
    out.family(name, 'counter', help, byKey(label, read(stats)))
  }
  out.family('invalidated_entries_total', 'counter', 'Entries removed by invalidations.', [
    [{}, stats.invalidatedEntries],
  ])
  for (const [name, help, which] of HISTOGRAMS) {
    out.histogram(
      name,
      help,
      stats.latencyBucketsMs,
      namespaces.map(([namespace, s]) => [{ namespace }, s.latency[which]] as const),
    )
  }
  renderHealth(out, health)
  return out.toString()
}

function renderHealth(out: Exposition, health: HealthReport): void {
  const states = ['ok', 'degraded', 'down'] as const
  out.family(
    'health_status',
    'gauge',
    'Overall health: 1 for the current status.',
    states.map((status) => [{ status }, health.status === status ? 1 : 0]),
  )
  out.family('store_up', 'gauge', 'Whether the store answered its probe.', [
    [{}, health.store.up ? 1 : 0],
  ])
  const latency = health.store.latencyMs
  out.family(
    'store_latency_seconds',
    'gauge',
    'Round trip of the last store probe.',
    latency === null ? [] : [[{}, latency / 1_000]],
  )
  out.family('subscriber_up', 'gauge', 'Whether the pub/sub subscription is active.', [
    [{}, health.subscriber.up ? 1 : 0],
  ])
  renderLockAndBreaker(out, health)
}

function renderLockAndBreaker(out: Exposition, health: HealthReport): void {
  out.family(
    'lock_node_up',
    'gauge',
    'Whether each lock node answered its probe.',
    health.lock.nodes.map((node, index) => [{ node: String(index) }, node.up ? 1 : 0]),
  )
  out.family('lock_quorum', 'gauge', 'Whether a majority of lock nodes answered.', [
    [{}, health.lock.quorum ? 1 : 0],
  ])
  const breaker = health.breaker.state
  out.family(
    'breaker_state',
    'gauge',
    'Circuit-breaker state: 1 for the current one (absent when disabled).',
    breaker === 'disabled'
      ? []
      : (['closed', 'open', 'half-open'] as const).map((state) => [
          { state },
          breaker === state ? 1 : 0,
        ]),
  )
}

function perNamespace(
  namespaces: readonly (readonly [string, NamespaceStatsSnapshot])[],
  read: PerNamespace,
): Sample[] {
  return namespaces.flatMap(([namespace, s]) =>
    read(s).map(([labels, value]): Sample => [{ namespace, ...labels }, value]),
  )
}

function byKey(label: string, counts: object): Sample[] {
  return Object.entries(counts as Record<string, number>).map(([key, n]) => [{ [label]: key }, n])
}

/** Accumulates the text, one family at a time (HELP and TYPE once per family). */
class Exposition {
  readonly #prefix: string
  readonly #lines: string[] = []

  constructor(prefix: string) {
    this.#prefix = prefix
  }

  family(name: string, type: 'counter' | 'gauge', help: string, samples: readonly Sample[]): void {
    const full = this.#header(name, type, help)
    for (const [labels, value] of samples) this.#sample(full, labels, value)
  }

  histogram(
    name: string,
    help: string,
    boundsMs: readonly number[],
    series: readonly (readonly [Labels, LatencySnapshot])[],
  ): void {
    const full = this.#header(name, 'histogram', help)
    const le = boundsMs.map(seconds)
    for (const [labels, h] of series) {
      h.buckets.forEach((count, i) =>
        this.#sample(`${full}_bucket`, { ...labels, le: le[i]! }, count),
      )
      this.#sample(`${full}_bucket`, { ...labels, le: '+Inf' }, h.count)
      this.#sample(`${full}_sum`, labels, h.sumMs / 1_000)
      this.#sample(`${full}_count`, labels, h.count)
    }
  }

  toString(): string {
    return `${this.#lines.join('\n')}\n`
  }

  #header(name: string, type: string, help: string): string {
    const full = this.#prefix + name
    this.#lines.push(`# HELP ${full} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`)
    this.#lines.push(`# TYPE ${full} ${type}`)
    return full
  }

  #sample(name: string, labels: Labels, value: number): void {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    const set = pairs.length === 0 ? '' : `{${pairs.join(',')}}`
    this.#lines.push(`${name}${set} ${formatValue(value)}`)
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

/** A bucket bound in seconds, without binary noise (0.05 ms is 0.00005, not 5.0000000000000002e-5). */
function seconds(ms: number): string {
  return String(Number((ms / 1_000).toPrecision(6)))
}
