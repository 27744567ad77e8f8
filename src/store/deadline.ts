import { StoreTimeoutError } from '../errors.js'

/**
 * Settle with the operation, or reject with StoreTimeoutError after `timeoutMs`, whichever comes
 * first. A late result is dropped (and a late rejection swallowed): the caller has moved on.
 * Other failures go through `mapError`.
 */
export function withDeadline<T>(
  operation: string,
  timeoutMs: number,
  work: Promise<T>,
  mapError: (error: unknown) => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(operation, timeoutMs)), timeoutMs)
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(mapError(error))
      },
    )
  })
}
