import type { RedisClientType } from 'redis'
import type { Cache, InvalidateTarget } from '../../src/index.js'
import { SOAK_ERROR_CODE, SOAK_ERROR_NAME, soakErrorMessage } from './check/errors.js'
import type { SoakRecord } from './history.js'
import {
  NAMESPACES,
  PATTERNS,
  TAG_COUNT,
  coveredKeys,
  describeTarget,
  keyId,
  keyNames,
  tagsOf,
  type SoakTarget,
} from './model.js'
import type { Random } from './random.js'
import type { SoakSettings } from './settings.js'

/** The soak function's error: its message names the run, so the checker can trace it. */
export class SoakFnError extends Error {
  readonly code = SOAK_ERROR_CODE
  constructor(runId: string) {
    super(soakErrorMessage(runId))
    this.name = SOAK_ERROR_NAME
  }
}

/** A value as the soak function returns it: the data generation it read, and its run id. */
export interface SoakValue {
  readonly gen: number
  readonly run: string
}

/** One worker's traffic: cacheFn calls and invalidations, each recorded. */
export class Traffic {
  readonly #pending = new Map<number, { key: string; start: number; startSeq: number }>()
  #seq = 0
  #runs = 0

  constructor(
    readonly worker: number,
    readonly cache: Cache,
    readonly oracle: RedisClientType,
    readonly random: Random,
    readonly settings: SoakSettings,
    readonly record: (record: SoakRecord) => void,
  ) {}

  /** Operations started and not settled yet. */
  get pending(): { key: string; start: number; startSeq: number }[] {
    return [...this.#pending.values()]
  }

  /** Run one operation drawn at random. */
  async step(): Promise<void> {
    if (this.random.int(1, this.settings.invalidateOneIn) === 1)
      return this.invalidate(this.#target())
    const ns = this.random.pick(NAMESPACES)
    return this.call(ns.name, this.random.pick(keyNames()))
  }

  async call(namespace: string, key: string): Promise<void> {
    const id = keyId(namespace, key)
    const ns = NAMESPACES.find((n) => n.name === namespace)!
    const startSeq = ++this.#seq
    const start = Date.now()
    this.#pending.set(startSeq, { key: id, start, startSeq })
    const base = { type: 'call' as const, worker: this.worker, key: id, start, startSeq }
    try {
      const result = await this.cache.cacheFnResult<SoakValue>(key, () => this.#fn(id), {
        namespace,
        ttl: ns.ttlMs,
        staleWhileRevalidate: ns.swrMs,
        tags: tagsOf(key),
      })
      const { value } = result
      this.record({
        ...base,
        ...this.#end(),
        outcome: 'value',
        status: result.status,
        tier: result.tier,
        gen: value.gen,
        run: value.run,
        degraded: result.degraded,
      })
    } catch (thrown) {
      const error = thrown as Error & { code?: unknown }
      const code = typeof error.code === 'string' ? error.code : undefined
      this.record({
        ...base,
        ...this.#end(),
        outcome: 'error',
        error: { name: error.name, message: error.message, code },
      })
    } finally {
      this.#pending.delete(startSeq)
    }
  }

  /** Bump the covered keys' data generation (the "database write"), then invalidate. */
  async invalidate(target: SoakTarget): Promise<void> {
    const keys = coveredKeys(target)
    const startSeq = ++this.#seq
    const start = Date.now()
    this.#pending.set(startSeq, { key: describeTarget(target), start, startSeq })
    const bumped = await Promise.all(keys.map((key) => this.oracle.incr(`gen:${key}`)))
    const gens = Object.fromEntries(keys.map((key, i) => [key, bumped[i]!]))
    const base = {
      type: 'invalidation' as const,
      worker: this.worker,
      target: describeTarget(target),
      kind: target.kind,
      keys,
      gens,
      start,
      startSeq,
    }
    try {
      const removed = await this.cache.invalidate(cacheTarget(target))
      this.record({ ...base, ...this.#end(), ok: true, removed })
    } catch (error) {
      this.record({ ...base, ...this.#end(), ok: false, error: String(error) })
    } finally {
      this.#pending.delete(startSeq)
    }
  }

  #end(): { end: number; endSeq: number } {
    return { end: Date.now(), endSeq: ++this.#seq }
  }

  async #fn(key: string): Promise<SoakValue> {
    const run = `w${this.worker}-${++this.#runs}`
    const start = Date.now()
    const gen = Number((await this.oracle.get(`gen:${key}`)) ?? 0)
    await sleep(this.random.int(this.settings.fnMinMs, this.settings.fnMaxMs))
    const ok = this.random.next() >= this.settings.failRate
    this.record({ type: 'run', worker: this.worker, key, id: run, start, end: Date.now(), gen, ok })
    if (!ok) throw new SoakFnError(run)
    return { gen, run }
  }

  #target(): SoakTarget {
    const kind = this.random.weighted({ key: 5, namespace: 1, pattern: 2, tags: 2 })
    const namespace = this.random.pick(NAMESPACES).name
    switch (kind) {
      case 'key':
        return { kind, namespace, key: this.random.pick(keyNames()) }
      case 'namespace':
        return { kind, namespace }
      case 'pattern':
        return { kind, namespace, pattern: this.random.pick(PATTERNS) }
      case 'tags':
        return { kind, tags: [`tag-${this.random.int(0, TAG_COUNT - 1)}`] }
    }
  }
}

function cacheTarget(target: SoakTarget): InvalidateTarget {
  switch (target.kind) {
    case 'key':
      return { key: target.key, namespace: target.namespace }
    case 'namespace':
      return { namespace: target.namespace }
    case 'pattern':
      return { pattern: target.pattern, namespace: target.namespace }
    case 'tags':
      return { tags: target.tags }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
