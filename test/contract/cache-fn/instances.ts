import { expect } from 'chai'
import { createCache, type Cache, type CacheOptions } from '../../../src/index.js'
import { uniquePrefix } from '../../support/redis.js'

/** Builds caches that share one backend (as instances behind a load balancer would). */
export type InstanceFactory = (overrides?: CacheOptions) => Cache

/** An upstream error with a code, as a function under cache would throw. */
export class CodedError extends Error {
  readonly code = 'E_UPSTREAM'
  constructor(message: string) {
    super(message)
    this.name = 'UpstreamError'
  }
}

/**
 * Registers, in the current suite, a fresh key prefix per test and an instance factory on the
 * backend; after each test it closes every instance and fails on any store or lock error (no
 * test of this suite injects one: an error would mean a silent fallback).
 */
export function useInstances(backend: () => CacheOptions): InstanceFactory {
  let caches: Cache[] = []
  let infraErrors: Error[] = []
  let shared: CacheOptions = {}
  beforeEach(() => {
    caches = []
    infraErrors = []
    shared = { ...backend(), prefix: uniquePrefix('fn') }
  })
  afterEach(async () => {
    await Promise.all(caches.map((cache) => cache.close()))
    expect(infraErrors.map((e) => e.message)).to.deep.equal([])
  })
  return (overrides = {}) => {
    const cache = createCache({ ...shared, ...overrides })
    cache.on('error', ({ error }) => infraErrors.push(error))
    caches.push(cache)
    return cache
  }
}
