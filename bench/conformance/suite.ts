import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { CacheTest, CacheTestSuite, RawResult } from 'http-cache-tests'
import baseSuites from 'http-cache-tests/tests/index.mjs'
import surrogateSuite from 'http-cache-tests/tests/surrogate-control.mjs'
import resultIndex from 'http-cache-tests/results/index.mjs'

/**
 * The cache-tests suite as its own command-line client runs it (cli.mjs: every suite plus
 * Surrogate-Control, browser-only tests skipped) and scored as cache-tests.fyi scores it
 * (lib/display.mjs determineTestResult: a test passes only when it and everything it depends
 * on passed; kind "check" tests are informational and not counted).
 */

/** Every suite the CLI runs, in the suite's order. */
export const SUITES: readonly CacheTestSuite[] = [...baseSuites, surrogateSuite]

/** What a test's outcome is, with the suite's own result kinds. */
export type Outcome =
  | 'pass'
  | 'fail'
  | 'optional-fail'
  | 'setup-fail'
  | 'dependency-fail'
  | 'retry'
  | 'untested'
  | 'yes'
  | 'no'

const byId = new Map<string, CacheTest>(SUITES.flatMap((s) => s.tests.map((t) => [t.id, t])))

/** Whether a test is run by a non-browser client (the CLI skips browser_only tests). */
export function runsHeadless(test: CacheTest): boolean {
  return test.browser_only !== true
}

/** Whether a test counts towards the pass rate (run headless, kind other than "check"). */
export function isCounted(test: CacheTest): boolean {
  return runsHeadless(test) && test.kind !== 'check'
}

/** The suite's test by id. */
export function testById(id: string): CacheTest {
  const test = byId.get(id)
  if (test === undefined) throw new Error(`cache-tests has no test "${id}"`)
  return test
}

/** The outcome of one test, dependencies honoured (display.mjs determineTestResult). */
export function outcome(id: string, results: Readonly<Record<string, RawResult>>): Outcome {
  const test = testById(id)
  const result = results[id]
  if (result === undefined) return 'untested'
  for (const dependency of test.depends_on ?? []) {
    const dep = outcome(dependency, results)
    if (dep !== 'pass' && dep !== 'yes') return 'dependency-fail'
  }
  if (result !== true && result[0] === 'Setup')
    return result[1] === 'retry' ? 'retry' : 'setup-fail'
  if (test.kind === 'check') return result === true ? 'yes' : 'no'
  if (result === true) return 'pass'
  return test.kind === 'optimal' ? 'optional-fail' : 'fail'
}

/** Counted tests and passes of one group (or of the whole suite). */
export interface Tally {
  readonly counted: number
  readonly passed: number
}

/** Pass counts per suite id, plus `total`. */
export function tally(results: Readonly<Record<string, RawResult>>): Map<string, Tally> {
  const tallies = new Map<string, Tally>()
  let counted = 0
  let passed = 0
  for (const suite of SUITES) {
    const tests = suite.tests.filter(isCounted)
    const ok = tests.filter((test) => outcome(test.id, results) === 'pass').length
    tallies.set(suite.id, { counted: tests.length, passed: ok })
    counted += tests.length
    passed += ok
  }
  tallies.set('total', { counted, passed })
  return tallies
}

/** A cache whose results the package publishes. */
export interface PublishedCache {
  readonly name: string
  readonly version: string
  readonly results: Readonly<Record<string, RawResult>>
}

const packageDir = dirname(createRequire(import.meta.url).resolve('http-cache-tests/package.json'))

/**
 * The published results of the shared caches (reverse proxies and CDNs). Browsers are private
 * caches, held to different rules: they are left out.
 */
export function publishedSharedCaches(): PublishedCache[] {
  return resultIndex
    .filter((entry) => entry.type !== 'browser')
    .map((entry) => ({
      name: entry.name,
      version: entry.version,
      results: JSON.parse(readFileSync(join(packageDir, 'results', entry.file), 'utf8')) as Record<
        string,
        RawResult
      >,
    }))
}

/** The version of http-cache-tests installed. */
export function suiteVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string
  }
  return pkg.version
}

/** The suite's own client, resolved from its package (node-fetch 2, as cli.mjs uses). */
export function suiteFetch(): unknown {
  return createRequire(join(packageDir, 'package.json'))('node-fetch')
}
