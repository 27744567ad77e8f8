import { expect } from 'chai'
import { check } from '../soak/check/checker.js'
import { soakErrorMessage } from '../soak/check/errors.js'
import type { CheckParams, Invariant } from '../soak/check/params.js'
import {
  emptyHistory,
  type CallRecord,
  type FaultKind,
  type FaultRecord,
  type History,
  type InvalidationRecord,
  type RunRecord,
} from '../soak/history.js'

// Synthetic histories: each violation kind must be caught, and clean histories must pass.
const params: CheckParams = {
  ttlMs: { ns: 1_000 },
  commandTimeoutMs: 100,
  fnMaxMs: 50,
  lockTtlMs: 500,
  waitTimeoutMs: 2_000,
  pollMaxMs: 1_000,
  recoveryMs: 1_000,
  propagationMs: 200,
  warmupMs: 0,
  heapGrowthMaxBytes: 10 * 2 ** 20,
  rssGrowthMaxBytes: 20 * 2 ** 20,
  startedAt: 0,
}
const K = 'ns/k'
let seq = 0

function run(
  id: string,
  worker: number,
  start: number,
  end: number,
  more: Partial<RunRecord> = {},
): RunRecord {
  return { type: 'run', id, worker, key: K, start, end, gen: 0, ok: true, ...more }
}

function call(
  worker: number,
  start: number,
  end: number,
  more: Partial<CallRecord> = {},
): CallRecord {
  seq += 2
  return {
    type: 'call',
    worker,
    key: K,
    start,
    end,
    startSeq: seq - 1,
    endSeq: seq,
    outcome: 'value',
    status: 'hit',
    gen: 0,
    run: 'r1',
    ...more,
  }
}

function invalidation(
  worker: number,
  start: number,
  end: number,
  gen: number,
  more: Partial<InvalidationRecord> = {},
): InvalidationRecord {
  seq += 2
  return {
    type: 'invalidation',
    worker,
    target: `key ${K}`,
    kind: 'key',
    keys: [K],
    gens: { [K]: gen },
    start,
    end,
    startSeq: seq - 1,
    endSeq: seq,
    ok: true,
    ...more,
  }
}

function fault(
  id: string,
  kind: FaultKind,
  start: number,
  end: number,
  worker?: number,
): FaultRecord {
  return {
    type: 'fault',
    id,
    kind,
    target: worker === undefined ? 'x' : `worker-${worker}`,
    worker,
    start,
    end,
  }
}

function history(parts: Partial<History>): History {
  return { ...emptyHistory(), ...parts }
}

function violations(h: History): Invariant[] {
  return check(h, params).violations.map((v) => v.invariant)
}

describe('soak checker', () => {
  describe('runs per key per expiry', () => {
    it('accepts one run per expiry, back to back epochs', () => {
      const h = history({
        runs: [run('a', 0, 0, 40), run('b', 1, 1_050, 1_090), run('c', 2, 2_100, 2_140)],
      })
      const result = check(h, params)
      expect(result.violations).to.deep.equal([])
      expect(result.runs.epochs).to.equal(3)
    })

    it('catches a second run while the first value is fresh, with no fault', () => {
      const h = history({ runs: [run('a', 0, 0, 40), run('b', 1, 500, 540)] })
      const [found] = check(h, params).violations
      expect(found).to.include({ invariant: 'runs', key: K, worker: 1 })
    })

    it('catches two concurrent runs in different processes', () => {
      expect(
        violations(history({ runs: [run('a', 0, 0, 40), run('b', 1, 10, 50)] })),
      ).to.deep.equal(['runs'])
    })

    it('accepts a new run once an invalidation of the key started', () => {
      const h = history({
        runs: [run('a', 0, 0, 40), run('b', 1, 300, 340)],
        invalidations: [invalidation(2, 250, 260, 1)],
      })
      expect(violations(h)).to.deep.equal([])
    })

    it("accepts a new run when an invalidation ended after the owner's flight began, before its fn", () => {
      const runs = [run('w0-1', 0, 30, 40), run('w1-1', 1, 300, 340)]
      const invalidations = [invalidation(2, 5, 25, 1)]
      const caller = call(0, 10, 45, { status: 'miss', run: 'w0-1' })
      expect(violations(history({ runs, invalidations, calls: [caller] }))).to.deep.equal([])
      const late = call(0, 26, 45, { status: 'miss', run: 'w0-1' })
      expect(violations(history({ runs, invalidations, calls: [late] }))).to.deep.equal(['runs'])
    })

    it('accepts a new run right after a failed run (failures are not cached)', () => {
      expect(
        violations(history({ runs: [run('a', 0, 0, 40, { ok: false }), run('b', 1, 41, 80)] })),
      ).to.deep.equal([])
    })

    it('accounts one takeover per pause of the holder, not two', () => {
      const faults = [fault('f1', 'worker-pause', 10, 800, 0)]
      const one = history({ runs: [run('a', 0, 0, 900), run('b', 1, 520, 560)], faults })
      expect(violations(one)).to.deep.equal([])
      const two = history({
        runs: [run('a', 0, 0, 900), run('b', 1, 520, 560), run('c', 2, 600, 640)],
        faults,
      })
      expect(violations(two)).to.deep.equal(['runs'])
    })

    it('does not let a pause of an unrelated worker account for an extra run', () => {
      const h = history({
        runs: [run('a', 0, 0, 40), run('b', 1, 300, 340)],
        faults: [fault('f1', 'worker-pause', 100, 200, 3)],
      })
      expect(violations(h)).to.deep.equal(['runs'])
    })

    it('accounts any number of runs during a store outage', () => {
      const runs = [
        run('a', 0, 0, 40),
        run('b', 1, 100, 140),
        run('c', 2, 120, 160),
        run('d', 3, 2_000, 2_040),
      ]
      expect(
        violations(history({ runs, faults: [fault('f1', 'store-pause', 50, 1_500)] })),
      ).to.deep.equal([])
    })

    it('does not account extra runs by faults the cache must mask (one lock node, a killed subscriber)', () => {
      for (const kind of ['lock-pause', 'lock-restart', 'pubsub-kill'] as const) {
        const h = history({
          runs: [run('a', 0, 0, 40), run('b', 1, 300, 340)],
          faults: [fault('f1', kind, 100, 200)],
        })
        expect(violations(h), kind).to.deep.equal(['runs'])
      }
    })
  })

  describe('freshness after invalidation', () => {
    const runs = [run('r1', 0, 0, 10, { gen: 0 }), run('r2', 1, 400, 410, { gen: 1 })]

    it('catches a read in the invalidating process returning pre-invalidation data', () => {
      const inv = invalidation(0, 100, 120, 1)
      const read = call(0, 121, 125)
      const [found] = check(
        history({ runs, invalidations: [inv], calls: [read] }),
        params,
      ).violations
      expect(found).to.include({ invariant: 'freshness', key: K, worker: 0 })
    })

    it('accepts a read that started before the invalidation resolved', () => {
      const read = call(0, 110, 130)
      const inv = invalidation(0, 100, 120, 1)
      expect(violations(history({ runs, invalidations: [inv], calls: [read] }))).to.deep.equal([])
    })

    it('gives other processes propagationMs of running time, no more', () => {
      const inv = invalidation(0, 100, 120, 1)
      expect(
        violations(history({ runs, invalidations: [inv], calls: [call(1, 250, 260)] })),
      ).to.deep.equal([])
      expect(
        violations(history({ runs, invalidations: [inv], calls: [call(1, 400, 410)] })),
      ).to.deep.equal(['freshness'])
    })

    it('does not count time the reading process was stopped as propagation time', () => {
      const inv = invalidation(0, 100, 120, 1)
      const faults = [fault('p', 'worker-pause', 130, 400, 1)]
      expect(
        violations(history({ runs, invalidations: [inv], calls: [call(1, 410, 420)], faults })),
      ).to.deep.equal([])
    })

    it('holds no read to a rejected invalidation', () => {
      const inv = invalidation(0, 100, 120, 1, { ok: false })
      expect(
        violations(history({ runs, invalidations: [inv], calls: [call(0, 500, 510)] })),
      ).to.deep.equal([])
    })

    it('accepts data at or after the generation of every binding invalidation', () => {
      const invs = [invalidation(0, 100, 120, 1), invalidation(2, 50, 60, 1)]
      const read = call(0, 500, 510, { gen: 1, run: 'r2' })
      expect(violations(history({ runs, invalidations: invs, calls: [read] }))).to.deep.equal([])
    })

    it('catches a tag invalidation of a key whose old value survives', () => {
      const inv = invalidation(1, 100, 120, 3, { kind: 'tags', target: 'tags t1' })
      const read = call(0, 2_000, 2_001, { gen: 2, run: 'r1' })
      expect(violations(history({ runs, invalidations: [inv], calls: [read] }))).to.deep.equal([
        'freshness',
      ])
    })

    it('groups reads of one stale value after one invalidation into one violation', () => {
      const inv = invalidation(0, 100, 120, 1)
      const reads = [call(0, 130, 131), call(0, 140, 141), call(0, 150, 151)]
      const result = check(history({ runs, invalidations: [inv], calls: reads }), params)
      expect(result.violations).to.have.length(1)
      expect(result.violations[0]!.message).to.contain('3 reads')
      expect(result.freshness.staleReads).to.equal(3)
    })
  })

  describe('bounds', () => {
    it('catches a quiet call slower than 2 fn + 6 commandTimeout', () => {
      expect(violations(history({ calls: [call(0, 0, 699)] }))).to.deep.equal([])
      expect(violations(history({ calls: [call(0, 0, 701)] }))).to.deep.equal(['bounds'])
    })

    it('gives calls during a killed subscriber a poll more, and takeovers lockTtl more', () => {
      const pubsub = [fault('f', 'pubsub-kill', 0, 1)]
      expect(violations(history({ calls: [call(0, 0, 1_600)], faults: pubsub }))).to.deep.equal([])
      expect(violations(history({ calls: [call(0, 0, 1_800)], faults: pubsub }))).to.deep.equal([
        'bounds',
      ])
      const pause = [fault('f', 'worker-pause', 0, 10, 1)]
      expect(violations(history({ calls: [call(0, 0, 2_300)], faults: pause }))).to.deep.equal([])
      expect(violations(history({ calls: [call(0, 0, 2_400)], faults: pause }))).to.deep.equal([
        'bounds',
      ])
    })

    it('does not count the time its own process was stopped', () => {
      const faults = [fault('f', 'worker-pause', 100, 5_100, 0)]
      expect(violations(history({ calls: [call(0, 0, 5_500)], faults }))).to.deep.equal([])
    })

    it('catches a call that never settled and a slow invalidation', () => {
      expect(violations(history({ calls: [call(0, 0, 1, { outcome: 'hung' })] }))).to.deep.equal([
        'bounds',
      ])
      expect(
        violations(history({ invalidations: [invalidation(0, 0, 1_001, 1, { ok: false })] })),
      ).to.deep.equal(['bounds'])
    })
  })

  describe('errors', () => {
    const soakError = (id: string): CallRecord['error'] => ({
      name: 'SoakFnError',
      code: 'E_SOAK_FN',
      message: soakErrorMessage(id),
    })

    it('catches an infrastructure error thrown at a caller', () => {
      const error = { name: 'StoreTimeoutError', code: 'E_STORE_TIMEOUT', message: 'timeout' }
      expect(
        violations(history({ calls: [call(0, 0, 10, { outcome: 'error', error })] })),
      ).to.deep.equal(['errors'])
    })

    it("accepts the function's failure during the call, refuses one from elsewhere", () => {
      const runs = [
        run('bad', 1, 0, 40, { ok: false }),
        run('good', 1, 50, 60),
        { ...run('other', 1, 0, 40, { ok: false }), key: 'ns/z' },
      ]
      const ok = call(0, 10, 45, { outcome: 'error', error: soakError('bad') })
      expect(violations(history({ runs, calls: [ok] }))).to.deep.equal([])
      for (const id of ['good', 'other', 'missing']) {
        const wrong = call(0, 10, 45, { outcome: 'error', error: soakError(id) })
        expect(violations(history({ runs, calls: [wrong] })), id).to.deep.equal(['errors'])
      }
      const old = call(0, 500, 505, { outcome: 'error', error: soakError('bad') })
      expect(violations(history({ runs, calls: [old] }))).to.deep.equal(['errors'])
    })

    it("catches a zombie holder's failure delivered after another run took over", () => {
      const faults = [fault('p', 'worker-pause', 10, 900, 0)]
      const runs = [run('z', 0, 0, 950, { ok: false }), run('h', 1, 600, 640)]
      const victim = call(2, 700, 951, { outcome: 'error', error: soakError('z') })
      expect(violations(history({ runs, faults, calls: [victim] }))).to.deep.equal([
        'failure-provenance',
      ])
    })
  })

  describe('process health', () => {
    it('catches unhandled rejections, unclean exits and memory growth; accepts flat memory', () => {
      const crashes = [
        {
          type: 'crash' as const,
          worker: 1,
          at: 5,
          kind: 'unhandledRejection' as const,
          message: 'boom',
        },
      ]
      expect(violations(history({ crashes }))).to.deep.equal(['crash'])
      const exit = (code: number | null, killed: boolean) => ({
        type: 'exit' as const,
        worker: 0,
        code,
        signal: null,
        killed,
      })
      expect(violations(history({ exits: [exit(0, false)] }))).to.deep.equal([])
      expect(violations(history({ exits: [exit(1, false)] }))).to.deep.equal(['exit'])
      expect(violations(history({ exits: [exit(null, true)] }))).to.deep.equal(['exit'])
      const sample = (at: number, heap: number) => ({
        type: 'memory' as const,
        worker: 0,
        at,
        rss: 100 * 2 ** 20,
        heapUsed: heap * 2 ** 20,
      })
      const flat = Array.from({ length: 30 }, (_, i) => sample(i * 1_000, 40 + (i % 3)))
      expect(violations(history({ memory: flat }))).to.deep.equal([])
      const growing = Array.from({ length: 30 }, (_, i) => sample(i * 1_000, 40 + i))
      expect(violations(history({ memory: growing }))).to.deep.equal(['memory'])
    })
  })
})
