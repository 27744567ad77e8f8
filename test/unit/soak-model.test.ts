import { expect } from 'chai'
import { allKeyIds, coveredKeys, globMatch, keyNames, tagsOf } from '../soak/model.js'
import { describeSchedule, makeSchedule } from '../soak/schedule.js'
import { DEFAULT_SETTINGS } from '../soak/settings.js'

describe('soak model and fault schedule', () => {
  it('covers exactly the keys each invalidation target reaches', () => {
    expect(keyNames()).to.deep.equal(['even-0', 'odd-1', 'even-2', 'odd-3', 'even-4', 'odd-5'])
    expect(coveredKeys({ kind: 'key', namespace: 'beta', key: 'odd-3' })).to.deep.equal([
      'beta/odd-3',
    ])
    expect(coveredKeys({ kind: 'namespace', namespace: 'alpha' })).to.have.length(6)
    expect(coveredKeys({ kind: 'pattern', namespace: 'gamma', pattern: 'even-*' })).to.deep.equal([
      'gamma/even-0',
      'gamma/even-2',
      'gamma/even-4',
    ])
    expect(coveredKeys({ kind: 'pattern', namespace: 'gamma', pattern: '*-1' })).to.deep.equal([
      'gamma/odd-1',
    ])
    const tagged = coveredKeys({ kind: 'tags', tags: ['tag-1'] })
    expect(tagged).to.deep.equal([
      'alpha/odd-1',
      'alpha/even-4',
      'beta/odd-1',
      'beta/even-4',
      'gamma/odd-1',
      'gamma/even-4',
    ])
    for (const id of tagged) expect(tagsOf(id.split('/')[1]!)).to.deep.equal(['tag-1'])
    expect(allKeyIds()).to.have.length(18)
  })

  it('matches globs as invalidate({ pattern }) documents them (* and ? only)', () => {
    expect(globMatch('odd-?', 'odd-1')).to.equal(true)
    expect(globMatch('odd-?', 'odd-12')).to.equal(false)
    expect(globMatch('e*n-[0]', 'even-[0]')).to.equal(true)
    expect(globMatch('a.b', 'axb')).to.equal(false)
  })

  it('derives the same non-overlapping schedule from the same seed, another from another seed', () => {
    const settings = { ...DEFAULT_SETTINGS, seed: 42, workers: 4, durationMs: 120_000 }
    const schedule = makeSchedule(settings)
    expect(describeSchedule(makeSchedule(settings))).to.deep.equal(describeSchedule(schedule))
    expect(describeSchedule(makeSchedule({ ...settings, seed: 43 }))).to.not.deep.equal(
      describeSchedule(schedule),
    )
    expect(schedule.length).to.be.greaterThan(10)
    let free = settings.quietStartMs
    for (const fault of schedule) {
      expect(fault.atMs).to.be.at.least(free + settings.faultGapMinMs)
      free = fault.atMs + fault.durationMs
      if (fault.kind === 'lock-restart')
        expect(fault.durationMs).to.be.greaterThan(settings.lockTtlMs)
      if (fault.kind === 'lock-quorum') expect(new Set(fault.targets).size).to.equal(2)
      if (fault.kind === 'worker-pause') expect(fault.targets[0]).to.be.within(0, 3)
    }
    expect(free).to.be.at.most(settings.durationMs - settings.quietEndMs)
  })
})
