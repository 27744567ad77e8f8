import { expect } from 'chai'
import { runSoak } from './orchestrator.js'
import { renderReport } from './report.js'
import { DEFAULT_SETTINGS } from './settings.js'

/**
 * The short chaos soak of `npm test`: 4 worker processes, 30 s of mixed traffic while a seeded
 * fault schedule pauses, kills and restarts the store and lock nodes, kills subscriber
 * connections and SIGSTOPs workers; then every invariant is checked (runs per expiry,
 * freshness after invalidation, call bounds, error provenance, crashes, memory, clean exits).
 * A fixed seed keeps the schedule the same from run to run; `npm run soak` draws new ones.
 */
describe('chaos soak (30 s, 4 processes, seeded faults)', function () {
  this.timeout(180_000)

  it('keeps every invariant', async () => {
    const seed = Number(process.env['SOAK_SEED'] ?? 20261130)
    const outcome = await runSoak(
      { ...DEFAULT_SETTINGS, seed, workers: 4, durationMs: 30_000 },
      () => undefined,
    )
    const report = renderReport(outcome, `npm test (soak seed ${seed})`)
    expect(outcome.result.violations, report).to.deep.equal([])
  })
})
