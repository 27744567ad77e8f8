import type { Cache, CacheEventMap, CacheEventName } from '../../src/index.js'

/** Resolves with the next `event` of `cache` whose payload passes `filter` (rejects on timeout). */
export function nextEvent<E extends CacheEventName>(
  cache: Cache,
  event: E,
  filter: (payload: CacheEventMap[E]) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<CacheEventMap[E]> {
  return new Promise((resolve, reject) => {
    const listener = (payload: CacheEventMap[E]): void => {
      if (!filter(payload)) return
      clearTimeout(timer)
      cache.off(event, listener)
      resolve(payload)
    }
    const timer = setTimeout(() => {
      cache.off(event, listener)
      reject(new Error(`no ${event} event within ${timeoutMs} ms`))
    }, timeoutMs)
    cache.on(event, listener)
  })
}

/** Records every `event` of `cache`. */
export function record<E extends CacheEventName>(cache: Cache, event: E): CacheEventMap[E][] {
  const all: CacheEventMap[E][] = []
  cache.on(event, (payload) => all.push(payload))
  return all
}
