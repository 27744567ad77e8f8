import type { Cache } from './cache.js'
import { InvalidOptionError } from './errors.js'
import type { CacheFnOptions } from './options/fn-options.js'
import { stableKey } from './stable-key.js'

/** Options of the `@cached` method decorator: cacheFn options plus how to build the key. */
export interface CachedOptions<Args extends unknown[] = unknown[], R = unknown> extends Omit<
  CacheFnOptions<R>,
  'signal'
> {
  /**
   * The cache key for a call. @default `<Class>.<method>(<arguments, deterministically encoded>)`
   */
  key?: (...args: Args) => string
}

/** A TC39 method decorator (as TypeScript 5 compiles them). */
export type MethodDecorator<This, Args extends unknown[], R> = (
  method: (this: This, ...args: Args) => Promise<R>,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Promise<R>>,
) => (this: This, ...args: Args) => Promise<R>

/**
 * Cache an async method with `cache.cacheFn`, keyed by its arguments: one computation per
 * distinct arguments across every instance. Prefer the bound form `cache.cached`.
 *
 * @example
 * class Predictions {
 *   @cached(cache, { ttl: '5m', namespace: 'predictions' })
 *   async forMatch(id: number): Promise<Prediction> { ... }
 * }
 */
export function cached<This, Args extends unknown[], R>(
  cache: Cache,
  options: CachedOptions<Args, R> = {},
): MethodDecorator<This, Args, R> {
  if (options.key !== undefined && typeof options.key !== 'function') {
    throw new InvalidOptionError('key', 'must be a function of the method arguments')
  }
  const { key: keyOf, ...fnOptions } = options
  return (method, context) => {
    if (context.kind !== 'method') throw new TypeError('@cached decorates methods only')
    const methodName = String(context.name)
    return function (this: This, ...args: Args): Promise<R> {
      let key: string
      try {
        key = keyOf === undefined ? defaultKey(this, methodName, args) : keyOf(...args)
      } catch (error) {
        return Promise.reject(error)
      }
      return cache.cacheFn(key, () => method.apply(this, args), fnOptions)
    }
  }
}

function defaultKey(self: unknown, methodName: string, args: unknown[]): string {
  const owner =
    typeof self === 'function' ? self.name : (self as object | undefined)?.constructor.name
  return `${owner ?? 'anonymous'}.${methodName}(${stableKey(args).slice(1, -1)})`
}
