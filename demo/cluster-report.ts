import type { NamespaceStatsSnapshot, StatusDocument } from '../src/index.js'
import { httpGet, type AppInstance } from './cluster-procs.js'

/**
 * The measuring half of `npm run demo:cluster`: a burst of concurrent requests across every
 * instance, each instance's own figures from its status endpoint, and the report built from
 * both.
 */

/** One request of a burst. */
export interface Shot {
  readonly instance: string
  readonly status: number
  readonly xCache: string
  /** The prediction's computation id (equal ids: one shared computation). */
  readonly computation: string | undefined
  readonly ms: number
  readonly error?: string
}

/** Fire `perInstance` concurrent GETs of `path` at every instance at once. */
export function fireBurst(
  apps: readonly AppInstance[],
  path: string,
  perInstance: number,
): Promise<Shot[]> {
  const shots = apps.flatMap((app) =>
    Array.from({ length: perInstance }, async (): Promise<Shot> => {
      const started = performance.now()
      try {
        const reply = await httpGet(app.port, path)
        const xCache = reply.headers['x-cache']
        return {
          instance: app.name,
          status: reply.status,
          xCache: typeof xCache === 'string' ? xCache : '-',
          computation: computationOf(reply.body),
          ms: reply.ms,
        }
      } catch (error) {
        const ms = performance.now() - started
        const message = error instanceof Error ? error.message : String(error)
        return {
          instance: app.name,
          status: 0,
          xCache: '-',
          computation: undefined,
          ms,
          error: message,
        }
      }
    }),
  )
  return Promise.all(shots)
}

function computationOf(body: string): string | undefined {
  try {
    const value = (JSON.parse(body) as { computation?: unknown }).computation
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}

/** An instance's status document, reduced to what the report shows. */
export interface InstanceFigures {
  readonly app: AppInstance
  readonly status: string
  readonly ns: NamespaceStatsSnapshot | undefined
}

/** Read `GET /cache/status` of every instance and pick one namespace's counters. */
export async function readFigures(
  apps: readonly AppInstance[],
  namespace: string,
): Promise<InstanceFigures[]> {
  return Promise.all(
    apps.map(async (app) => {
      const reply = await httpGet(app.port, '/cache/status')
      if (reply.status !== 200)
        throw new Error(`${app.name}: /cache/status answered ${reply.status}`)
      const doc = JSON.parse(reply.body) as StatusDocument
      return { app, status: doc.status, ns: doc.stats.namespaces[namespace] }
    }),
  )
}

/** Nearest-rank percentile of some durations (ms). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!
}

/** What the showcase measured. */
export interface Measurements {
  readonly path: string
  readonly perInstance: number
  readonly namespace: string
  readonly cold: readonly Shot[]
  readonly warm: readonly Shot[]
  readonly figures: readonly InstanceFigures[]
}

/** The report's lines, and whether the run showed what it should: one computation, all served. */
export function buildReport(m: Measurements): { lines: string[]; ok: boolean } {
  const served = m.cold.filter((shot) => shot.status === 200)
  const computations = m.figures.reduce((sum, f) => sum + (f.ns?.fnRuns ?? 0), 0)
  const ids = new Set(served.map((shot) => shot.computation))
  const failures = [...m.cold, ...m.warm].filter((shot) => shot.status !== 200)
  const ok = failures.length === 0 && computations === 1 && ids.size === 1
  const apps = m.figures.length
  const lines = [
    `cold burst: ${m.cold.length} concurrent requests (${m.perInstance} per instance) for GET ${m.path}`,
    `  requests served:      ${m.cold.length} (${served.length} answered 200)`,
    `  origin computations:  ${computations} (fnRuns summed over the ${apps} instances; ` +
      `${ids.size} distinct computation id${ids.size === 1 ? '' : 's'} in the responses)`,
    `  X-Cache:              ${tally(m.cold.map((shot) => shot.xCache))}`,
    `  latency:              ${latency(m.cold)}`,
    `warm burst: ${m.warm.length} more concurrent requests for the same route`,
    `  requests served:      ${m.warm.length} (${m.warm.filter((s) => s.status === 200).length} answered 200)`,
    `  latency:              ${latency(m.warm)}`,
    '',
    `per instance, namespace "${m.namespace}" (each instance's GET /cache/status, after both bursts):`,
    ...instanceTable(m.figures, [...m.cold, ...m.warm]),
    '',
    ...failures
      .slice(0, 5)
      .map((s) => `  failed: ${s.instance} → ${s.error ?? `HTTP ${s.status}`}`),
    ok
      ? `result: OK, 1 computation served ${m.cold.length} concurrent requests across ${apps} instances`
      : `result: FAILED (${computations} computations, ${failures.length} failed requests)`,
  ]
  return { lines, ok }
}

function latency(shots: readonly Shot[]): string {
  const ms = shots.map((shot) => shot.ms)
  const f = (x: number): string => `${Math.round(x)} ms`
  return `p50 ${f(percentile(ms, 50))}, p99 ${f(percentile(ms, 99))}, max ${f(Math.max(...ms))}`
}

function tally(values: readonly string[]): string {
  const counts = new Map<string, number>(['MISS', 'HIT', 'STALE', 'BYPASS'].map((v) => [v, 0]))
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1)
  return [...counts]
    .filter(([, n]) => n > 0)
    .map(([value, n]) => `${n} ${value}`)
    .join(', ')
}

function instanceTable(figures: readonly InstanceFigures[], shots: readonly Shot[]): string[] {
  const header = [
    'instance',
    'port',
    'status',
    'requests',
    'hits',
    'misses',
    'coalesced',
    'waits',
    'fnRuns',
  ]
  const rows = figures.map(({ app, status, ns }) => [
    app.name,
    String(app.port),
    status,
    String(shots.filter((shot) => shot.instance === app.name).length),
    ...[ns?.hits, ns?.misses, ns?.coalesced, ns?.waits, ns?.fnRuns].map((n) => String(n ?? 0)),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]): string =>
    ('  ' + cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).trimEnd()
  return [line(header), ...rows.map(line)]
}
