import { InvalidOptionError, OptionRangeError } from './errors.js'

/**
 * A duration: milliseconds as a number, or a string with a unit: `'250ms'`, `'30s'`, `'5m'`,
 * `'1h'`, `'1d'` (decimals allowed: `'1.5s'`).
 */
export type Duration = number | `${number}${DurationUnit}`

/** The units a duration string may use. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd'

const UNIT_MS: Readonly<Record<DurationUnit, number>> = Object.freeze({
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
})

const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)\s*$/

/** The longest duration accepted anywhere: ten years, far beyond any sane cache lifetime. */
export const MAX_DURATION_MS = 10 * 365 * UNIT_MS.d

/**
 * Bounds of `parseDuration`.
 *
 * @inline
 */
interface DurationBounds {
  /** Whether 0 is allowed (it usually means "off"). */
  allowZero?: boolean
}

/**
 * Parse a duration option into whole milliseconds, naming the option in any error.
 *
 * @throws InvalidOptionError when the value is neither a number nor a duration string
 * @throws OptionRangeError when it is negative, not finite, zero where zero is not allowed, or
 *   longer than ten years
 */
export function parseDuration(value: unknown, option: string, bounds: DurationBounds = {}): number {
  const ms = toMilliseconds(value, option)
  if (!Number.isFinite(ms) || ms < 0) {
    throw new OptionRangeError(option, `must be a finite, non-negative duration (got ${ms})`)
  }
  if (ms === 0 && bounds.allowZero !== true) {
    throw new OptionRangeError(option, 'must be greater than 0')
  }
  if (ms > MAX_DURATION_MS) {
    throw new OptionRangeError(option, `must be at most 10 years (got ${ms} ms)`)
  }
  // Redis PX takes whole milliseconds; round up so '0.5ms' never becomes "expire now".
  return Math.ceil(ms)
}

// Duration strings are usually a handful of constants ('30s', '5m') parsed on every call:
// remember them (bounded, so arbitrary strings cannot grow it).
const parsed = new Map<string, number>()

function toMilliseconds(value: unknown, option: string): number {
  if (typeof value === 'number') return value
  if (typeof value === 'string') {
    const known = parsed.get(value)
    if (known !== undefined) return known
  }
  if (typeof value !== 'string') {
    throw new InvalidOptionError(
      option,
      `must be a number of milliseconds or a duration string like '30s' (got ${describe(value)})`,
    )
  }
  const match = DURATION_PATTERN.exec(value)
  if (match === null) {
    throw new InvalidOptionError(
      option,
      `must look like '250ms', '30s', '5m', '1h' or '1d' (got ${JSON.stringify(value)})`,
    )
  }
  const [, amount = '', unit = 'ms'] = match
  const ms = Number(amount) * UNIT_MS[unit as DurationUnit]
  if (parsed.size >= 256) parsed.clear()
  parsed.set(value, ms)
  return ms
}

/** A short description of a value's type for error messages (never the value itself). */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'object':
      return 'an object'
    case 'string':
      return `string ${JSON.stringify(value)}`
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${value}`
    default:
      return typeof value
  }
}
