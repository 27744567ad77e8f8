import type { Cache } from '../src/index.js'

/**
 * The demo's fake football data: eight fictional clubs and twelve fixtures, fixed in the source
 * so every instance (and every run) starts from the same state. Only scores change, through
 * `MatchDb.setScore`.
 */

/** A club, with the strengths the prediction model uses (1 = league average). */
export interface Team {
  readonly id: number
  readonly name: string
  readonly short: string
  readonly attack: number
  readonly defence: number
}

/** A score as it stands at `minute` (0 = not kicked off, 90 or more = full time). */
export interface Score {
  readonly home: number
  readonly away: number
  readonly minute: number
}

/** A fixture with its current score. */
export interface Match {
  readonly id: number
  readonly round: number
  readonly kickoff: string
  readonly homeTeamId: number
  readonly awayTeamId: number
  readonly status: 'scheduled' | 'live' | 'finished'
  readonly score: Score
}

// prettier-ignore
export const TEAMS: readonly Team[] = Object.freeze([
  { id: 1, name: 'Northbridge United', short: 'NBU', attack: 1.35, defence: 0.8 },
  { id: 2, name: 'Riverside Rovers', short: 'RIV', attack: 1.2, defence: 0.9 },
  { id: 3, name: 'Harbour City', short: 'HBC', attack: 1.1, defence: 1.0 },
  { id: 4, name: 'Eastfield Athletic', short: 'EFA', attack: 1.0, defence: 0.95 },
  { id: 5, name: 'Kingsmoor Town', short: 'KMT', attack: 0.95, defence: 1.05 },
  { id: 6, name: 'Westvale Wanderers', short: 'WVW', attack: 0.9, defence: 1.1 },
  { id: 7, name: 'Old Mill FC', short: 'OMF', attack: 0.85, defence: 1.15 },
  { id: 8, name: 'Southport Albion', short: 'SPA', attack: 0.8, defence: 1.25 },
])

const FULL_TIME = 90

// Rounds 1 and 2 are played, round 3 is still to come: [id, round, kickoff, home, away, score].
// prettier-ignore
const FIXTURE_ROWS: readonly [number, number, string, number, number, [number, number] | null][] = [
  [1, 1, '2025-08-16T14:00:00Z', 1, 8, [3, 0]], [2, 1, '2025-08-16T14:00:00Z', 2, 7, [2, 1]],
  [3, 1, '2025-08-16T16:30:00Z', 3, 6, [1, 1]], [4, 1, '2025-08-17T15:00:00Z', 4, 5, [0, 2]],
  [5, 2, '2025-08-23T14:00:00Z', 8, 2, [1, 3]], [6, 2, '2025-08-23T14:00:00Z', 7, 3, [0, 0]],
  [7, 2, '2025-08-23T16:30:00Z', 6, 4, [2, 2]], [8, 2, '2025-08-24T15:00:00Z', 5, 1, [1, 2]],
  [9, 3, '2025-08-30T14:00:00Z', 1, 2, null], [10, 3, '2025-08-30T14:00:00Z', 3, 4, null],
  [11, 3, '2025-08-30T16:30:00Z', 5, 6, null], [12, 3, '2025-08-31T15:00:00Z', 7, 8, null],
]

/** The fixtures as they stand before any score update. */
export const FIXTURES: readonly Match[] = Object.freeze(
  FIXTURE_ROWS.map(([id, round, kickoff, homeTeamId, awayTeamId, result]) =>
    withScore(
      { id, round, kickoff, homeTeamId, awayTeamId },
      result === null
        ? { home: 0, away: 0, minute: 0 }
        : { home: result[0], away: result[1], minute: FULL_TIME },
    ),
  ),
)

/** The team with this id, if any. */
export function findTeam(id: number): Team | undefined {
  return TEAMS.find((team) => team.id === id)
}

/** The fixture with this id (as first seeded), if any; cheap, never touches the store. */
export function findFixture(id: number): Match | undefined {
  return FIXTURES.find((match) => match.id === id)
}

/** Stand-in for slow work (a database query, a model): resolves after `ms`. */
export function simulateWork(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function withScore(match: Omit<Match, 'status' | 'score'>, score: Score): Match {
  const status = score.minute <= 0 ? 'scheduled' : score.minute >= FULL_TIME ? 'finished' : 'live'
  return { ...match, status, score }
}

/** Where the fake database keeps score updates. */
export interface ScoreStore {
  /** The recorded scores of these matches (undefined: never updated). */
  load(ids: readonly number[]): Promise<(Score | undefined)[]>
  save(id: number, score: Score): Promise<void>
}

/** Score updates in process memory: enough for a single instance. */
export function memoryScores(): ScoreStore {
  const scores = new Map<number, Score>()
  return {
    load: (ids) => Promise.resolve(ids.map((id) => scores.get(id))),
    save: (id, score) => Promise.resolve(void scores.set(id, score)),
  }
}

/**
 * Score updates in a shared store, so that a score posted to one instance is what every other
 * instance reads afterwards (a real service would use its database). Give it a cache of its
 * own, created with `stats: false`: these rows are data, not cache entries, and must not count
 * in the demo's hit ratio.
 */
export function sharedScores(store: Pick<Cache, 'getMany' | 'set'>): ScoreStore {
  const key = (id: number): string => `score:${id}`
  // Long enough to outlive any demo session; the rows are the database, not a cache of it.
  const options = { namespace: 'scores', ttl: '1d' } as const
  return {
    load: (ids) => store.getMany<Score>(ids.map(key), options),
    save: (id, score) => store.set(key(id), score, options),
  }
}

/** The demo's "database": the fixed fixtures plus score updates. */
export class MatchDb {
  readonly #scores: ScoreStore

  constructor(scores: ScoreStore) {
    this.#scores = scores
  }

  /** Every fixture with its current score, in one store round trip. */
  async listMatches(): Promise<Match[]> {
    const scores = await this.#scores.load(FIXTURES.map((match) => match.id))
    return FIXTURES.map((match, i) => current(match, scores[i]))
  }

  /** One fixture with its current score, or undefined for an unknown id. */
  async getMatch(id: number): Promise<Match | undefined> {
    const fixture = findFixture(id)
    if (fixture === undefined) return undefined
    const [score] = await this.#scores.load([id])
    return current(fixture, score)
  }

  /** Record a new score; resolves to the updated match (undefined for an unknown id). */
  async setScore(id: number, score: Score): Promise<Match | undefined> {
    const fixture = findFixture(id)
    if (fixture === undefined) return undefined
    await this.#scores.save(id, score)
    return current(fixture, score)
  }
}

function current(fixture: Match, score: Score | undefined): Match {
  return score === undefined ? fixture : withScore(fixture, score)
}
