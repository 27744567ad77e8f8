/**
 * Strict HTTP-date parsing (RFC 9110 section 5.6.7): the preferred IMF-fixdate and the two
 * obsolete forms every recipient must accept, nothing else. `Date.parse` is not a parser of
 * HTTP-dates: it reads "3000" as the year 3000, and any date in the future makes every
 * conditional request look fresh.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
const MONTH = `(${MONTHS.join('|')})`
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'

/** Sun, 06 Nov 1994 08:49:37 GMT */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`)
/** Sunday, 06-Nov-94 08:49:37 GMT */
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`)
/** Sun Nov  6 08:49:37 1994 */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`)

/**
 * The instant an HTTP-date names (epoch ms), or undefined when the text is not an HTTP-date in
 * one of its three forms, or names a day or time that does not exist.
 */
export function parseHttpDate(text: string | undefined, now = Date.now()): number | undefined {
  if (text === undefined) return undefined
  const value = text.trim()
  let match = IMF_FIXDATE.exec(value)
  if (match !== null) {
    const [, day, month, year, hh, mm, ss] = match
    return instant(Number(year), month, Number(day), hh, mm, ss)
  }
  match = RFC_850.exec(value)
  if (match !== null) {
    const [, day, month, yy, hh, mm, ss] = match
    return instant(fullYear(Number(yy), now), month, Number(day), hh, mm, ss)
  }
  match = ASCTIME.exec(value)
  if (match !== null) {
    const [, month, day, hh, mm, ss, year] = match
    return instant(Number(year), month, Number(day?.trim()), hh, mm, ss)
  }
  return undefined
}

/**
 * RFC 850 two-digit years: a year that would be more than 50 years in the future is the most
 * recent past year with those last two digits (RFC 9110 5.6.7).
 */
function fullYear(twoDigits: number, now: number): number {
  const current = new Date(now).getUTCFullYear()
  let year = Math.floor(current / 100) * 100 + twoDigits
  if (year > current + 50) year -= 100
  return year
}

function instant(
  year: number,
  monthName: string | undefined,
  day: number,
  hh: string | undefined,
  mm: string | undefined,
  ss: string | undefined,
): number | undefined {
  const month = MONTHS.indexOf(monthName ?? '')
  const [hours, minutes, seconds] = [Number(hh), Number(mm), Number(ss)]
  // 60 is a leap second; it is read as the next second, as Date.UTC does.
  if (month < 0 || day < 1 || hours > 23 || minutes > 59 || seconds > 60) return undefined
  const midnight = new Date(Date.UTC(2000, month, day))
  midnight.setUTCFullYear(year, month, day) // years below 100 are years, not 19xx
  // A day past the end of its month (30 Feb) rolls over into the next: not a date.
  if (midnight.getUTCDate() !== day || midnight.getUTCMonth() !== month) return undefined
  return midnight.getTime() + ((hours * 60 + minutes) * 60 + seconds) * 1000
}
