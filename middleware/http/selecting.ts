/**
 * How a shared cache compares the values of selecting header fields (RFC 9111 4.1): two values
 * select the same stored response when they are the same after whitespace where the field's
 * syntax allows it is removed and parts the field defines as case-insensitive are lower-cased.
 * Only transformations under which the handler's own negotiation (Express 4 and 5,
 * `req.acceptsLanguages()` and friends, given the values it offers) selects the same are made:
 *
 * - credentials and fields Node keeps as one line (`Authorization`, `Cookie`, `User-Agent`,
 *   `Referer`, dates, ...): exact, byte for byte;
 * - any other field is read as a comma-separated list, as Node reads it (it joins repeated lines
 *   of such a field with `", "`): optional whitespace around the commas goes, except inside a
 *   quoted string; list members keep their order, their case and the empty ones;
 * - `Accept-Language`, in addition: the language range of each member is lower-cased (language
 *   tags are case-insensitive, RFC 4647 2, and Express compares them so). Its parameters stay
 *   exact: Express 4 reads `en; q=0.5` and `en;Q=0.5` as `q=1`, unlike `en;q=0.5`. The order
 *   of members stays significant: Express breaks ties between equal weights by it, so
 *   `en, de` and `de, en` select different languages.
 */

/** Request fields compared exactly: credentials, and the ones Node never joins into a list. */
const EXACT = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'user-agent',
  'referer',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'content-type',
  'content-length',
  'max-forwards',
])

/**
 * The value of a selecting request field as a shared cache compares it (`name` in lower case).
 * Equal results mean the handler's negotiation cannot select differently.
 */
export function selectingValue(name: string, value: string, rfcLanguage = false): string {
  if (EXACT.has(name)) return value
  const members = listMembers(value)
  if (name !== 'accept-language') return members.join(',')
  const weighted = rfcLanguage ? languagePreferences(members) : undefined
  if (weighted === undefined) return members.map(languageMember).join(',')
  // RFC 9110 12.5.4: the order of equally weighted ranges "cannot be relied upon".
  return weighted
    .map(({ range, q }) => `${range};q=${q}`)
    .sort()
    .join(',')
}

/** A language range of Accept-Language with its weight (thousandths, RFC 9110 12.4.2). */
export interface LanguagePreference {
  /** The range, lower-cased (ASCII). */
  readonly range: string
  /** The weight in thousandths, 0 to 1000. */
  readonly q: number
}

/**
 * Accept-Language read as RFC 9110 defines it (12.4.2, 12.5.4): each range with its weight,
 * empty members ignored. Undefined when a member is not a range with at most a valid `q`
 * parameter: such a value is then only compared exactly (nothing loosened).
 */
export function languagePreferences(members: readonly string[]): LanguagePreference[] | undefined {
  const read: LanguagePreference[] = []
  for (const member of members) {
    if (member === '') continue
    const match = LANGUAGE_MEMBER.exec(member)
    if (match === null) return undefined
    const [, range = '', weight] = match
    read.push({ range: asciiLower(range), q: weight === undefined ? 1000 : thousandths(weight) })
  }
  return read
}

/**
 * The one language a client prefers over every other it names (a range that is not `*`, its
 * weight above 0 and above all the others'); undefined when there is none (a tie, a wildcard,
 * a value that is not plain RFC syntax).
 */
export function preferredLanguage(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const read = languagePreferences(listMembers(value))
  if (read === undefined) return undefined
  const best = Math.max(0, ...read.map(({ q }) => q))
  const top = read.filter(({ q }) => q === best)
  const only = top.length === 1 ? top[0] : undefined
  return only !== undefined && best > 0 && only.range !== '*' ? only.range : undefined
}

/** `range` or `range;q=weight` (RFC 9110 12.4.2: OWS around the `;`, a qvalue after `q=`). */
const LANGUAGE_MEMBER =
  /^([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)(?:[ \t]*;[ \t]*[qQ]=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?))?$/

function thousandths(weight: string): number {
  return Math.round(Number(weight) * 1000)
}

/**
 * The members of a comma-separated list, each without the optional whitespace around it; a comma
 * inside a quoted string (with its backslash escapes) separates nothing.
 */
export function listMembers(value: string): string[] {
  const members: string[] = []
  let start = 0
  let quoted = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (quoted) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) quoted = false
    } else if (c === QUOTE) quoted = true
    else if (c === COMMA) {
      members.push(trimOws(value.slice(start, i)))
      start = i + 1
    }
  }
  // Whitespace that ends an unterminated quoted string is part of it.
  const last = value.slice(start)
  members.push(quoted ? trimOws(last + '"').slice(0, -1) : trimOws(last))
  return members
}

/** A member of Accept-Language: its language range lower-cased (ASCII), parameters exact. */
function languageMember(member: string): string {
  const semicolon = member.indexOf(';')
  if (semicolon < 0) return asciiLower(member)
  return asciiLower(trimOws(member.slice(0, semicolon))) + member.slice(semicolon)
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c

/** Without leading and trailing spaces and tabs (RFC 9110 OWS), and nothing else. */
function trimOws(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && isOws(text.charCodeAt(start))) start++
  while (end > start && isOws(text.charCodeAt(end - 1))) end--
  return text.slice(start, end)
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09
}

/** A-Z to a-z only: language tags are ASCII, and Unicode case mapping merges more (K, U+212A). */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
}
