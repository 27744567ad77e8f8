import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import {
  CacheClosedError,
  cacheRoute,
  statusRouter,
  tagResponse,
  type Cache,
  type CacheFnResult,
  type CacheRouteOptions,
} from '../src/index.js'
import {
  findFixture,
  findTeam,
  MatchDb,
  memoryScores,
  simulateWork,
  type Score,
  type ScoreStore,
} from './data.js'
import {
  createTeamStatsService,
  predictMatch,
  TEAM_STATS_NAMESPACE,
  teamStatsKey,
  type Prediction,
  type TeamStatsService,
} from './models.js'

/** Options of the demo app. */
export interface DemoAppOptions {
  /** Name of this instance, written into what it computes (`generatedBy`, `computedBy`). @default `pid-<pid>` */
  instance?: string
  /** Multiplies every simulated delay: 1 gives the realistic hundreds of ms, tests use less. @default 1 */
  workScale?: number
  /**
   * Where score updates are kept. Instances of one deployment must share it (see
   * `sharedScores`). @default in process memory
   */
  scores?: ScoreStore
}

/** Namespace of the cached match responses (`cacheRoute`). */
export const MATCHES_NAMESPACE = 'matches'
/** Namespace of the cached predictions (`cacheFn`). */
export const PREDICTIONS_NAMESPACE = 'predictions'
/** Tag of everything derived from one match, invalidated when its score changes. */
export const matchTag = (id: number): string => `match:${id}`
const MATCH_LIST_TAG = 'match-list'

/** Base durations (ms) of the simulated work behind each endpoint. */
const WORK_MS = { list: 200, match: 150, prediction: 300, teamStats: 250 } as const

interface Deps {
  readonly cache: Cache
  readonly db: MatchDb
  readonly teams: TeamStatsService
  readonly instance: string
  readonly work: (ms: number) => number
}

/**
 * The demo's Express app, modelled on a football-prediction API. Every instance of a deployment
 * runs one; they share their cache (and the fake database's score updates) through the store.
 *
 * - `GET /api/matches`, `GET /api/matches/:id`: whole responses cached with `cacheRoute`;
 * - `GET /api/predictions/:matchId`: a ~300-400 ms model run cached with `cacheFn`
 *   (stale-while-revalidate, tagged with the match);
 * - `GET /api/teams/:id/stats`: a service method cached with the `cache.cached` decorator;
 * - `POST /api/matches/:id/score`: updates a score and invalidates what depends on it;
 * - `/cache/status`: the status router (JSON, `/health`, `/metrics`).
 */
export function createDemoApp(cache: Cache, options: DemoAppOptions = {}): Express {
  const instance = options.instance ?? `pid-${process.pid}`
  const scale = options.workScale ?? 1
  const work = (ms: number): number => Math.round(ms * scale)
  const db = new MatchDb(options.scores ?? memoryScores())
  const teams = createTeamStatsService(cache, db, { workMs: work(WORK_MS.teamStats), instance })
  const deps: Deps = { cache, db, teams, instance, work }

  const app = express()
  app.disable('x-powered-by')
  app.set('json spaces', 2) // the demo is read with curl
  app.get('/', (_req, res) => void res.json({ demo: 'herdlock football API', instance, ENDPOINTS }))
  const matchRoute: CacheRouteOptions = {
    namespace: MATCHES_NAMESPACE,
    ttl: '30s',
    staleWhileRevalidate: '1m',
  }
  app.get(
    '/api/matches',
    cacheRoute(cache, { ...matchRoute, tags: [MATCH_LIST_TAG] }),
    (req, res) => listMatches(deps, req, res),
  )
  app.get('/api/matches/:id', cacheRoute(cache, matchRoute), (req, res) => getMatch(deps, req, res))
  app.get('/api/predictions/:matchId', (req, res) => getPrediction(deps, req, res))
  app.get('/api/teams/:id/stats', (req, res) => getTeamStats(deps, req, res))
  app.post('/api/matches/:id/score', express.json(), (req, res) => postScore(deps, req, res))
  app.use('/cache/status', statusRouter(cache))
  app.use((_req, res) => void res.status(404).json({ error: 'not found', endpoints: ENDPOINTS }))
  app.use(errorHandler)
  return app
}

const ENDPOINTS = [
  'GET /api/matches',
  'GET /api/matches/:id',
  'GET /api/predictions/:matchId',
  'GET /api/teams/:id/stats',
  'POST /api/matches/:id/score {"home":2,"away":1,"minute":75}',
  'GET /cache/status',
  'GET /cache/status/health',
  'GET /cache/status/metrics',
]

async function listMatches(deps: Deps, _req: Request, res: Response): Promise<void> {
  await simulateWork(deps.work(WORK_MS.list))
  const matches = await deps.db.listMatches()
  res.json({ matches, generatedBy: deps.instance, generatedAt: new Date().toISOString() })
}

async function getMatch(deps: Deps, req: Request, res: Response): Promise<void> {
  const id = parseId(req.params['id'])
  const match = id === undefined ? undefined : await deps.db.getMatch(id)
  if (match === undefined) return notFound(res, 'match')
  await simulateWork(deps.work(WORK_MS.match))
  // The cached response carries the match's tag, so a score update drops it on every instance.
  tagResponse(res, matchTag(match.id))
  res.json({ match, generatedBy: deps.instance, generatedAt: new Date().toISOString() })
}

async function getPrediction(deps: Deps, req: Request, res: Response): Promise<void> {
  const id = parseId(req.params['matchId'])
  // Validate against the static fixtures: a hit must not cost a database read.
  if (id === undefined || findFixture(id) === undefined) return notFound(res, 'match')
  let ranHere = false
  const result = await deps.cache.cacheFnResult<Prediction>(
    `prediction:${id}`,
    async () => {
      ranHere = true
      await simulateWork(deps.work(WORK_MS.prediction + ((id * 37) % 100)))
      return predictMatch((await deps.db.getMatch(id))!, deps.instance)
    },
    {
      namespace: PREDICTIONS_NAMESPACE,
      ttl: '1m',
      staleWhileRevalidate: '5m',
      tags: [matchTag(id)],
    },
  )
  res.set('X-Cache', xCache(result, ranHere)).json(result.value)
}

async function getTeamStats(deps: Deps, req: Request, res: Response): Promise<void> {
  const id = parseId(req.params['id'])
  if (id === undefined || findTeam(id) === undefined) return notFound(res, 'team')
  res.json(await deps.teams.forTeam(id))
}

async function postScore(deps: Deps, req: Request, res: Response): Promise<void> {
  const id = parseId(req.params['id'])
  if (id === undefined || findFixture(id) === undefined) return notFound(res, 'match')
  const score = parseScore(req.body)
  if (typeof score === 'string') return void res.status(400).json({ error: score })
  const match = (await deps.db.setScore(id, score))!
  // Tags reach every namespace and every instance: the match's response and prediction, and
  // the list. The decorator's entries carry no per-team tag, so those go by key.
  const byTag = await deps.cache.invalidate({ tags: [matchTag(id), MATCH_LIST_TAG] })
  const byKey = await Promise.all(
    [match.homeTeamId, match.awayTeamId].map((team) =>
      deps.cache.invalidate({ key: teamStatsKey(team), namespace: TEAM_STATS_NAMESPACE }),
    ),
  )
  const invalidated = byKey.reduce((sum, n) => sum + n, byTag)
  res.json({ match, invalidated, by: deps.instance })
}

/** What this request got: computed here (MISS), served stale, or served from the cache. */
function xCache(result: CacheFnResult<unknown>, ranHere: boolean): string {
  if (result.status === 'stale') return 'STALE'
  if (result.degraded) return 'BYPASS'
  // Callers that shared this process's computation get status 'miss' too: only the one whose
  // call ran the model is a MISS, the others were served without running anything.
  return ranHere && result.status === 'miss' ? 'MISS' : 'HIT'
}

function parseId(raw: string | string[] | undefined): number | undefined {
  return typeof raw === 'string' && /^[1-9]\d{0,5}$/.test(raw) ? Number(raw) : undefined
}

function parseScore(body: unknown): Score | string {
  const { home, away, minute = 90 } = (body ?? {}) as Record<string, unknown>
  const goals = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0
  if (!goals(home) || !goals(away) || home > 99 || away > 99) {
    return 'send JSON {"home": goals, "away": goals, "minute"?: 0-120}'
  }
  if (!Number.isInteger(minute) || (minute as number) < 0 || (minute as number) > 120) {
    return 'minute must be an integer from 0 to 120'
  }
  return { home, away, minute: minute as number }
}

function notFound(res: Response, what: string): void {
  res.status(404).json({ error: `no such ${what}` })
}

function errorHandler(error: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const status = (error as { status?: unknown }).status
  const code = typeof status === 'number' && status >= 400 && status < 600 ? status : 500
  // A request still running when the demo shuts down finds the cache closed: not worth a trace.
  if (code >= 500 && !(error instanceof CacheClosedError)) {
    console.error('demo: request failed:', error instanceof Error ? error.message : error)
  }
  if (res.headersSent) return void res.destroy()
  res.status(code).json({ error: code >= 500 ? 'internal error' : (error as Error).message })
}
