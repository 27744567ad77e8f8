import { randomBytes } from 'node:crypto'
import type { Cache } from '../src/index.js'
import { findTeam, simulateWork, type Match, type MatchDb, type Score, type Team } from './data.js'

/**
 * The demo's "expensive" computations: a match prediction (a small Poisson model) and a team's
 * season statistics. The maths is cheap; `simulateWork` supplies the hundreds of milliseconds a
 * real model or aggregation query would take, which is what makes caching them worth it.
 */

/** A prediction for a match, with who computed it and when (so cache hits are visible). */
export interface Prediction {
  readonly matchId: number
  readonly home: string
  readonly away: string
  readonly status: Match['status']
  readonly score: Score
  /** Chances of each final result, given the current score and the time left. */
  readonly probabilities: { readonly home: number; readonly draw: number; readonly away: number }
  readonly expectedGoals: { readonly home: number; readonly away: number }
  readonly likelyScore: string
  readonly model: string
  /** The instance that ran the model. */
  readonly computedBy: string
  readonly computedAt: string
  /** A random id per run of the model: equal ids mean one computation was shared. */
  readonly computation: string
}

/** A team's record over the matches played so far. */
export interface TeamStats {
  readonly teamId: number
  readonly name: string
  readonly played: number
  readonly won: number
  readonly drawn: number
  readonly lost: number
  readonly goalsFor: number
  readonly goalsAgainst: number
  readonly points: number
  /** Results of the last five matches, oldest first: W, D or L. */
  readonly form: string
  readonly computedBy: string
  readonly computedAt: string
}

const BASE_GOALS = 1.35
const HOME_ADVANTAGE = 1.15
const FULL_TIME = 90
const MAX_EXTRA_GOALS = 10

/** Run the prediction model for a match (pure apart from its id and timestamp). */
export function predictMatch(match: Match, computedBy: string): Prediction {
  const home = teamOf(match.homeTeamId)
  const away = teamOf(match.awayTeamId)
  const left = Math.max(0, FULL_TIME - match.score.minute) / FULL_TIME
  const rateHome = BASE_GOALS * home.attack * away.defence * HOME_ADVANTAGE * left
  const rateAway = BASE_GOALS * away.attack * home.defence * left
  const extraHome = poisson(rateHome)
  const extraAway = poisson(rateAway)
  const outcome = { home: 0, draw: 0, away: 0 }
  let likely = { p: -1, home: 0, away: 0 }
  for (const [h, ph] of extraHome.entries()) {
    for (const [a, pa] of extraAway.entries()) {
      const p = ph * pa
      const final = { home: match.score.home + h, away: match.score.away + a }
      const key = final.home > final.away ? 'home' : final.home < final.away ? 'away' : 'draw'
      outcome[key] += p
      if (p > likely.p) likely = { p, ...final }
    }
  }
  return {
    matchId: match.id,
    home: home.name,
    away: away.name,
    status: match.status,
    score: match.score,
    probabilities: {
      home: round(outcome.home),
      draw: round(outcome.draw),
      away: round(outcome.away),
    },
    expectedGoals: {
      home: round(match.score.home + rateHome),
      away: round(match.score.away + rateAway),
    },
    likelyScore: `${likely.home}-${likely.away}`,
    model: 'poisson-v1',
    computedBy,
    computedAt: new Date().toISOString(),
    computation: randomBytes(6).toString('hex'),
  }
}

/** A team's record from the matches that have kicked off (live scores count as they stand). */
export function computeTeamStats(
  team: Team,
  matches: readonly Match[],
  computedBy: string,
): TeamStats {
  const results = matches
    .filter((m) => m.status !== 'scheduled')
    .filter((m) => m.homeTeamId === team.id || m.awayTeamId === team.id)
    .map((m) => {
      const home = m.homeTeamId === team.id
      const scored = home ? m.score.home : m.score.away
      const conceded = home ? m.score.away : m.score.home
      return { scored, conceded, result: scored > conceded ? 'W' : scored < conceded ? 'L' : 'D' }
    })
  const count = (r: string): number => results.filter((x) => x.result === r).length
  const sum = (f: (x: (typeof results)[number]) => number): number =>
    results.reduce((total, x) => total + f(x), 0)
  return {
    teamId: team.id,
    name: team.name,
    played: results.length,
    won: count('W'),
    drawn: count('D'),
    lost: count('L'),
    goalsFor: sum((x) => x.scored),
    goalsAgainst: sum((x) => x.conceded),
    points: 3 * count('W') + count('D'),
    form: results
      .slice(-5)
      .map((x) => x.result)
      .join(''),
    computedBy,
    computedAt: new Date().toISOString(),
  }
}

/** Team statistics, cached per team across every instance. */
export interface TeamStatsService {
  /** The team's statistics; rejects for an unknown team. */
  forTeam(teamId: number): Promise<TeamStats>
}

/** Namespace of cached team statistics. */
export const TEAM_STATS_NAMESPACE = 'teams'

/** The cache key of a team's statistics (for `invalidate({ key, namespace })`). */
export function teamStatsKey(teamId: number): string {
  return `team-stats:${teamId}`
}

/**
 * A service whose method is cached with the `cache.cached` decorator: the first call for a team
 * on any instance runs the aggregation, the others get its result.
 */
export function createTeamStatsService(
  cache: Cache,
  db: MatchDb,
  options: { workMs: number; instance: string },
): TeamStatsService {
  const { cached } = cache
  class CachedTeamStats implements TeamStatsService {
    // An explicit key (not the default `Class.method(args)`), so a score update can invalidate it.
    @cached({ namespace: TEAM_STATS_NAMESPACE, ttl: '5m', key: teamStatsKey })
    async forTeam(teamId: number): Promise<TeamStats> {
      const team = teamOf(teamId)
      await simulateWork(options.workMs)
      return computeTeamStats(team, await db.listMatches(), options.instance)
    }
  }
  return new CachedTeamStats()
}

function teamOf(id: number): Team {
  const team = findTeam(id)
  if (team === undefined) throw new RangeError(`no team ${id}`)
  return team
}

/** P(X = k) for k = 0..MAX_EXTRA_GOALS of a Poisson variable with this mean. */
function poisson(mean: number): number[] {
  const p = [Math.exp(-mean)]
  for (let k = 1; k <= MAX_EXTRA_GOALS; k++) p.push((p[k - 1]! * mean) / k)
  return p
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}
