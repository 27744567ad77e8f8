import type { RawResult } from 'http-cache-tests'
import { isCounted, outcome, SUITES, tally, testById, type PublishedCache } from './suite.js'

/**
 * Markdown tables of a run beside the published shared caches: pass counts per group (counted
 * tests only, dependencies honoured, as cache-tests.fyi scores), and the tests herdlock fails.
 */

const percent = (passed: number, counted: number): string =>
  counted === 0 ? '-' : `${((passed / counted) * 100).toFixed(1)}%`

/** The per-group table: herdlock's passes beside each published cache's. */
export function groupTable(
  label: string,
  results: Readonly<Record<string, RawResult>>,
  published: readonly PublishedCache[],
): string {
  const ours = tally(results)
  const theirs = published.map((cache) => tally(cache.results))
  const header = ['group', 'counted', label, ...published.map((cache) => cache.name)]
  const rows = [header, header.map(() => '---')]
  for (const suite of SUITES) {
    const mine = ours.get(suite.id)!
    // Groups without a counted test, or none of whose tests ran (a partial run), are left out.
    if (mine.counted === 0 || !suite.tests.some((test) => test.id in results)) continue
    rows.push([
      suite.name,
      String(mine.counted),
      `**${mine.passed}**`,
      ...theirs.map((t) => String(t.get(suite.id)!.passed)),
    ])
  }
  const total = ours.get('total')!
  rows.push([
    '**total**',
    String(total.counted),
    `**${total.passed} (${percent(total.passed, total.counted)})**`,
    ...theirs.map((t) => {
      const all = t.get('total')!
      return `${all.passed} (${percent(all.passed, all.counted)})`
    }),
  ])
  return rows.map((row) => `| ${row.join(' | ')} |`).join('\n')
}

/**
 * Every counted test that did not pass, by group, with the suite's message and how many of the
 * published shared caches pass it.
 */
export function failureList(
  results: Readonly<Record<string, RawResult>>,
  published: readonly PublishedCache[],
): string {
  const lines: string[] = []
  for (const suite of SUITES) {
    const failed = suite.tests.filter(
      (test) => isCounted(test) && test.id in results && outcome(test.id, results) !== 'pass',
    )
    if (failed.length === 0) continue
    lines.push(`- ${suite.name} (${suite.id}):`)
    for (const test of failed) {
      const peers = published.filter((cache) => outcome(test.id, cache.results) === 'pass')
      const by = `(${peers.length}/${published.length} shared caches pass)`
      lines.push(`  - ${describeFailure(test.id, results)} ${by}`)
    }
  }
  return lines.join('\n')
}

/**
 * One failing test: its outcome and message; for a dependency failure, the failing dependency
 * (and what the test itself did, since fixing the dependency alone may or may not flip it).
 */
function describeFailure(id: string, results: Readonly<Record<string, RawResult>>): string {
  const result = results[id]
  const message = result === undefined || result === true ? '' : ` ${result[1]}`
  const kind = outcome(id, results)
  if (kind !== 'dependency-fail') return `\`${id}\` [${kind}]${message}`
  const blocker = (testById(id).depends_on ?? []).find((dependency) => {
    const dep = outcome(dependency, results)
    return dep !== 'pass' && dep !== 'yes'
  })
  const own = result === true ? 'itself passed' : `itself:${message}`
  return `\`${id}\` [dependency ${blocker ?? '?'}: ${blocker === undefined ? '?' : outcome(blocker, results)}; ${own}]`
}

/**
 * The "check" tests that ran (not counted: they ask what a cache does where HTTP leaves it free,
 * such as request directives), herdlock's answer beside how many published caches answer yes.
 */
export function checkTable(
  results: Readonly<Record<string, RawResult>>,
  published: readonly PublishedCache[],
): string {
  const rows = [['check', 'herdlock', `yes of ${published.length} shared caches`]]
  rows.push(rows[0]!.map(() => '---'))
  for (const suite of SUITES) {
    for (const test of suite.tests) {
      if (test.kind !== 'check' || !(test.id in results)) continue
      const yes = published.filter((cache) => outcome(test.id, cache.results) === 'yes')
      rows.push([`\`${test.id}\``, outcome(test.id, results), String(yes.length)])
    }
  }
  return rows.map((row) => `| ${row.join(' | ')} |`).join('\n')
}
