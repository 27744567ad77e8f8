import { createHash } from 'node:crypto'
import type {
  HealthReport,
  HealthStatus,
  NamespaceStatsSnapshot,
  StatsSnapshot,
} from '../../src/core.js'

/**
 * The HTML view of the status document: one self-contained page (inline CSS allowed by a hash in
 * its Content-Security-Policy, no script, no external asset, nothing fetched), reloading itself
 * with a meta refresh. Every figure carries a `data-field` attribute, for tests and scrapers.
 */

/** The JSON status document `GET <mount>` returns. */
export interface StatusDocument {
  /** The cache's overall status (the health report's `status`). */
  readonly status: HealthStatus
  /** The latest health report (`Cache#health()`). */
  readonly health: HealthReport
  /** The counters and latency histograms (`Cache#stats()`). */
  readonly stats: StatsSnapshot
}

const STYLE = `
:root{color-scheme:light dark;--ok:#1a7f37;--degraded:#9a6700;--down:#cf222e;--line:#8884}
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.badge{border-radius:1rem;color:#fff;font-size:1rem;padding:.1rem .7rem;vertical-align:middle}
.ok{background:var(--ok)}.degraded{background:var(--degraded)}.down{background:var(--down)}
.meta{opacity:.75;margin:0}.problems{color:var(--down)}
.tiles{display:grid;gap:.75rem;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));margin-top:1.5rem}
.tile{border:1px solid var(--line);border-radius:.5rem;padding:.6rem .8rem}
.tile span{display:block}.tile .value{font-size:1.5rem;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}td{font-variant-numeric:tabular-nums}
meter{width:5rem;vertical-align:middle;margin-left:.4rem}
`.trim()

/** The page's Content-Security-Policy: only its own inline stylesheet, nothing else at all. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** Render the page; `refreshSeconds` is how often it reloads. */
export function renderStatusPage(doc: StatusDocument, refreshSeconds: number): string {
  const { stats, health } = doc
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${refreshSeconds}">
<title>Cache status: ${doc.status}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Cache status <span class="badge ${doc.status}" data-field="status">${doc.status}</span></h1>
<p class="meta">Checked ${time(health.checkedAt)} · counting since ${time(stats.since)} · refreshes every ${refreshSeconds} s${stats.enabled ? '' : ' · stats disabled'}</p>
${problems(health.problems)}
<section class="tiles" aria-label="Totals" data-scope="total">
${tile('Hit ratio', 'hitRatio', ratio(stats))}
${tile('Hits', 'hits', count(stats.hits))}
${tile('Misses', 'misses', count(stats.misses))}
${tile('Stale served', 'stale', count(stats.stale))}
${tile('Function runs', 'fnRuns', count(stats.fnRuns))}
${tile('Hit p95', 'hitP95', formatMs(stats.latency.hit.p95))}
${tile('Errors', 'errors', count(stats.errors))}
</section>
<h2>Namespaces</h2>
${namespaceTable(stats.namespaces)}
<h2>Health</h2>
${healthTable(health)}
</body>
</html>
`
}

/** Whether the client would rather have HTML than JSON (browsers do; curl and scrapers don't). */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return false
  const ranges = accept.split(',').map((part) => {
    const [type = '', ...params] = part.trim().toLowerCase().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    return { type: type.trim(), q: q === undefined ? 1 : Number(q.slice(2)) || 0 }
  })
  const quality = (exact: string, family: string): number => {
    for (const candidate of [exact, family, '*/*']) {
      const range = ranges.find((r) => r.type === candidate)
      if (range !== undefined) return range.q
    }
    return 0
  }
  return quality('text/html', 'text/*') > quality('application/json', 'application/*')
}

/** A count as shown on the page (grouped digits). */
export function count(n: number): string {
  return n.toLocaleString('en-US')
}

/** A hit ratio as shown on the page; a dash before any lookup. */
export function ratio(s: NamespaceStatsSnapshot): string {
  return s.hits + s.misses === 0 ? '–' : `${(s.hitRatio * 100).toFixed(1)}%`
}

/** A latency as shown on the page; a dash when nothing was measured. */
export function formatMs(ms: number | null): string {
  if (ms === null) return '–'
  if (ms >= 1_000) return `${(ms / 1_000).toFixed(2)} s`
  return `${ms < 1 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms`
}

function namespaceTable(namespaces: StatsSnapshot['namespaces']): string {
  const names = Object.keys(namespaces)
  if (names.length === 0) return '<p class="meta">No traffic yet.</p>'
  // prettier-ignore
  const head = [
    'Namespace', 'Hit ratio', 'Hits', 'Misses', 'Stale', 'Hit p50', 'Hit p95', 'Hit p99',
    'Miss p95', 'Fn runs', 'Fn p95',
  ]
  const rows = names.map((name) => {
    const s = namespaces[name]!
    const meter = `<meter min="0" max="1" value="${s.hitRatio}"></meter>`
    const cells = [
      cell('hitRatio', ratio(s), meter),
      cell('hits', count(s.hits)),
      cell('misses', count(s.misses)),
      cell('stale', count(s.stale)),
      cell('hitP50', formatMs(s.latency.hit.p50)),
      cell('hitP95', formatMs(s.latency.hit.p95)),
      cell('hitP99', formatMs(s.latency.hit.p99)),
      cell('missP95', formatMs(s.latency.miss.p95)),
      cell('fnRuns', count(s.fnRuns)),
      cell('fnP95', formatMs(s.latency.fn.p95)),
    ]
    return `<tr data-namespace="${escape(name)}"><td>${escape(name)}</td>${cells.join('')}</tr>`
  })
  const th = head.map((h) => `<th scope="col">${h}</th>`).join('')
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`
}

function healthTable(health: HealthReport): string {
  const up = (ok: boolean): string => (ok ? 'up' : 'down')
  const rows: [string, string, string, string][] = [
    [
      `store (${health.store.kind})`,
      up(health.store.up),
      formatMs(health.store.latencyMs),
      health.store.error ?? '',
    ],
    ['subscriber', up(health.subscriber.up), '', ''],
    ...health.lock.nodes.map((node, i): [string, string, string, string] => [
      `lock node ${i}`,
      up(node.up),
      formatMs(node.latencyMs),
      node.error ?? '',
    ]),
    ['lock quorum', health.lock.quorum ? 'reachable' : 'lost', '', health.lock.error ?? ''],
    ['circuit breaker', health.breaker.state, '', ''],
  ]
  const body = rows
    .map(
      (r) =>
        `<tr data-component="${escape(r[0])}">${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`,
    )
    .join('\n')
  const head =
    '<tr><th scope="col">Component</th><th scope="col">State</th><th scope="col">Latency</th><th scope="col">Detail</th></tr>'
  return `<table><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`
}

function problems(list: readonly string[]): string {
  if (list.length === 0) return ''
  return `<ul class="problems">${list.map((p) => `<li>${escape(p)}</li>`).join('')}</ul>`
}

function tile(label: string, field: string, value: string): string {
  return `<div class="tile"><span>${label}</span><span class="value" data-field="${field}">${value}</span></div>`
}

function cell(field: string, text: string, extra = ''): string {
  return `<td data-field="${field}">${text}${extra}</td>`
}

function time(iso: string): string {
  return `<time datetime="${escape(iso)}">${escape(iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))}</time>`
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
