import { StoreTimeoutError } from '../errors.js'

/**
 * Settle with the operation, or reject with StoreTimeoutError after `timeoutMs`, whichever comes
 * first. A late result is dropped (and a late rejection swallowed): the caller has moved on.
 */
export function withDeadline<T>(operation: string, timeoutMs: number, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(operation, timeoutMs)), timeoutMs)
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error instanceof Error ? error : new Error(String(error)))
      },
    )
  })
}
