import { expect } from 'chai'
import { createCache, DEFAULTS, InvalidOptionError, OptionRangeError } from '../../src/index.js'
import { resolveCacheOptions } from '../../src/options/cache-options.js'

describe('cache options', () => {
  it('applies frozen defaults', () => {
    const resolved = resolveCacheOptions({})
    expect(Object.isFrozen(DEFAULTS)).to.equal(true)
    expect(resolved.prefix).to.equal('herdlock')
    expect(resolved.defaultTtlMs).to.equal(300_000)
    expect(resolved.namespace).to.equal('default')
    expect(resolved.commandTimeoutMs).to.equal(500)
    expect(resolved.breaker).to.deep.equal({ threshold: 3, cooldownMs: 500 })
    expect(resolved.redis).to.equal(undefined)
  })

  it('accepts durations as numbers or strings', () => {
    const resolved = resolveCacheOptions({ defaultTtl: '30s', commandTimeout: 250 })
    expect(resolved.defaultTtlMs).to.equal(30_000)
    expect(resolved.commandTimeoutMs).to.equal(250)
  })

  it('does not mutate the caller options', () => {
    const options = { prefix: 'x', lock: { nodes: ['redis://a:1'] } }
    const copy = structuredClone(options)
    resolveCacheOptions(options)
    expect(options).to.deep.equal(copy)
  })

  const cases: [string, Record<string, unknown>, new (...a: never[]) => Error, RegExp][] = [
    ['redis as a number', { redis: 6379 }, InvalidOptionError, /"redis" must be a Redis URL/],
    [
      'redis as a bad url',
      { redis: 'localhost:6379' },
      InvalidOptionError,
      /"redis" must be a redis:\/\//,
    ],
    ['empty lock nodes', { lock: { nodes: [] } }, InvalidOptionError, /"lock.nodes"/],
    [
      'a bad lock node',
      { lock: { nodes: ['redis://a:1', 5] } },
      InvalidOptionError,
      /"lock.nodes\[1\]"/,
    ],
    ['a prefix with braces', { prefix: 'a{b}' }, InvalidOptionError, /"prefix"/],
    ['an empty namespace', { namespace: '' }, InvalidOptionError, /"namespace"/],
    ['a negative ttl', { defaultTtl: -1 }, OptionRangeError, /"defaultTtl"/],
    ['a ttl in words', { defaultTtl: 'five minutes' }, InvalidOptionError, /"defaultTtl"/],
    ['a zero command timeout', { commandTimeout: 0 }, OptionRangeError, /"commandTimeout"/],
    [
      'a fractional memory bound',
      { memory: { maxBytes: 1.5 } },
      OptionRangeError,
      /"memory.maxBytes"/,
    ],
    [
      'a serializer without name',
      { serializer: { name: 'a b', serialize() {}, deserialize() {} } },
      InvalidOptionError,
      /"serializer.name"/,
    ],
    [
      'a serializer without methods',
      { serializer: { name: 'x' } },
      InvalidOptionError,
      /"serializer" must have a serialize/,
    ],
    [
      'a breaker threshold of 0',
      { breaker: { threshold: 0 } },
      OptionRangeError,
      /"breaker.threshold"/,
    ],
    [
      'a logger without warn',
      { logger: { debug() {}, info() {}, error() {} } },
      InvalidOptionError,
      /"logger" must have a warn/,
    ],
    [
      'a string for throwOnStoreError',
      { throwOnStoreError: 'yes' },
      InvalidOptionError,
      /"throwOnStoreError"/,
    ],
    [
      'options that are not an object',
      null as unknown as Record<string, unknown>,
      InvalidOptionError,
      /"options"/,
    ],
  ]
  for (const [label, options, type, message] of cases) {
    it(`rejects ${label} at construction, naming the option`, () => {
      expect(() => createCache(options)).to.throw(type, message)
    })
  }
})
