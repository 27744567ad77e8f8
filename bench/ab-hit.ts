import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { loadavg } from 'node:os'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as core from '../src/index.js'
import type * as middleware from '../middleware/index.js'
import { kilobyteValue, percentile } from './support/measure.js'
import { benchRedis } from './support/redis.js'

/**
 * A/B of the hit paths between two builds of herdlock, in one process: `npx tsx bench/ab-hit.ts
 * <base-dist> <head-dist> [rounds]` (each a `dist/` made by `npm run build`, e.g. main's copied
 * aside before a change). Both trees run on one Redis, interleaved batch by batch (the order
 * swapped every round), so the machine's drift hits both alike. Per scenario it prints the
 * median over rounds of the wall µs per call and of the per-round head/base ratios (with their
 * interquartile range), and the process CPU per call over all rounds (CPU time is counted in
 * scheduler ticks, too coarse for one short batch, so only its total is compared). The route
 * scenarios call the middleware directly (no HTTP): a fresh request and response object per
 * call, whose cost is measured alone ("request objects") and subtracted in the "net" ratio.
 */

type Core = typeof core
type Middleware = typeof middleware
type Op = () => Promise<void>

interface Tree {
  readonly name: string
  readonly core: Core
  readonly middleware: Middleware
}

async function loadTree(name: string, dist: string): Promise<Tree> {
  const url = (path: string): string => pathToFileURL(resolve(dist, path)).href
  return {
    name,
    core: (await import(url('src/index.js'))) as Core,
    middleware: (await import(url('middleware/index.js'))) as Middleware,
  }
}

const TTL = { ttl: '1h' } as const
const VALUE = kilobyteValue()
const BODY = JSON.stringify(VALUE)
const unexpected = (): never => {
  throw new Error('ab-hit: a hit ran its function')
}

/** A request and a response object, as Node makes them, without a connection. */
const SOCKET = new Socket()
function exchange(): { req: IncomingMessage; res: ServerResponse; ended: Promise<void> } {
  const req = new IncomingMessage(SOCKET)
  req.method = 'GET'
  req.url = '/matches/7?lang=en'
  req.headers = { host: 'bench.local', accept: 'application/json' }
  const res = new ServerResponse(req)
  const ended = new Promise<void>((done) => {
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
    res.end = ((...args: unknown[]) => {
      const result = end(...args)
      done()
      return result
    }) as ServerResponse['end']
  })
  return { req, res, ended }
}

/** One route call through the middleware; with `check`, rejects when the handler ran (a miss). */
function routeOp(route: ReturnType<Middleware['cacheRoute']>, check: boolean): Op {
  return async () => {
    const { req, res, ended } = exchange()
    let handled = false
    route(req, res, () => {
      handled = true
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(BODY)
    })
    await ended
    if (check && handled) throw new Error('ab-hit: not a route hit')
  }
}

/** Request objects alone: what every route call costs besides the middleware. */
const overheadOp: Op = async () => {
  const { res, ended } = exchange()
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(BODY)
  await ended
}

/** The scenarios of one tree: a primed hit each, its caches closed by `close`. */
async function scenarios(tree: Tree, url: string): Promise<{ ops: Map<string, Op>; close: Op }> {
  const { createCache } = tree.core
  const prefix = `ab-hit-${tree.name}-${process.pid}`
  const l1 = createCache({ redis: url, prefix: `${prefix}-l1`, l1: {} })
  const redis = createCache({ redis: url, prefix: `${prefix}-redis` })
  await Promise.all([l1.ready(), redis.ready()])
  await l1.cacheFn('k', () => VALUE, TTL)
  await redis.cacheFn('k', () => VALUE, TTL)
  const routeL1 = tree.middleware.cacheRoute(l1, { ttl: '1h' })
  const routeRedis = tree.middleware.cacheRoute(redis, { ttl: '1h' })
  for (const route of [routeL1, routeRedis]) await prime(route)
  const ops = new Map<string, Op>([
    ['cacheFn L1 hit', () => l1.cacheFn('k', unexpected, TTL).then(() => undefined)],
    ['cacheFn Redis hit', () => redis.cacheFn('k', unexpected, TTL).then(() => undefined)],
    ['route L1 hit', routeOp(routeL1, false)],
    ['route Redis hit', routeOp(routeRedis, false)],
  ])
  for (const op of [routeOp(routeL1, true), routeOp(routeRedis, true)]) await op()
  const close = async (): Promise<void> => {
    await Promise.all([l1.close(), redis.close()])
  }
  return { ops, close }
}

/** Send the first request (a miss, stored in the background), then wait until it is a hit. */
async function prime(route: ReturnType<Middleware['cacheRoute']>): Promise<void> {
  const check = routeOp(route, true)
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      return await check()
    } catch {
      await new Promise((done) => setTimeout(done, 10))
    }
  }
  throw new Error('ab-hit: the route never answered a hit')
}

/** µs per call of a batch: wall time and process CPU (user + system). */
async function batch(op: Op, calls: number): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage()
  const started = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) await op()
  const wall = Number(process.hrtime.bigint() - started) / 1_000 / calls
  const used = process.cpuUsage(cpu)
  return { wall, cpu: (used.user + used.system) / calls }
}

const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  )
const quartiles = (values: readonly number[]): string => {
  const sorted = [...values].sort((a, b) => a - b)
  return `${percentile(sorted, 0.25).toFixed(3)}–${percentile(sorted, 0.75).toFixed(3)}`
}

const [baseDist, headDist, roundsArg] = process.argv.slice(2)
if (baseDist === undefined || headDist === undefined) {
  throw new Error('usage: npx tsx bench/ab-hit.ts <base-dist> <head-dist> [rounds]')
}
if (resolve(baseDist) === resolve(headDist)) {
  // One URL is one module instance: both sides would run the same code objects.
  throw new Error('ab-hit: base and head are one folder; copy one aside (an A/A needs two copies)')
}
const rounds = Number(roundsArg ?? 400)
const CALLS: Record<string, number> = {
  'cacheFn L1 hit': 1_000,
  'cacheFn Redis hit': 100,
  'route L1 hit': 1_000,
  'route Redis hit': 100,
}
const redis = await benchRedis()
const trees = [await loadTree('base', baseDist), await loadTree('head', headDist)]
const built = await Promise.all(trees.map((tree) => scenarios(tree, redis.url)))
console.log(`# A/B of the hit paths: head = ${headDist}, base = ${baseDist}\n`)
console.log(`Node ${process.version}, ${rounds} rounds, load average ${loadavg()[0]!.toFixed(2)}`)
try {
  const samples = new Map<string, { wall: number[][]; cpu: number[][] }>()
  const record = (name: string, side: number, result: { wall: number; cpu: number }): void => {
    const entry = samples.get(name) ?? { wall: [[], []], cpu: [[], []] }
    entry.wall[side]!.push(result.wall)
    entry.cpu[side]!.push(result.cpu)
    samples.set(name, entry)
  }
  for (let round = -20; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0]
    const overhead = await batch(overheadOp, 1_000)
    for (const name of Object.keys(CALLS)) {
      for (const side of order) {
        const result = await batch(built[side]!.ops.get(name)!, CALLS[name]!)
        // The first rounds warm both trees up (JIT, connections) and are not counted.
        if (round >= 0) record(name, side, result)
      }
    }
    if (round >= 0) for (const side of [0, 1]) record('request objects', side, overhead)
  }
  report(samples)
} finally {
  await Promise.all(built.map((tree) => tree.close()))
  await redis.stop()
}

function report(samples: Map<string, { wall: number[][]; cpu: number[][] }>): void {
  const mean = (values: readonly number[]): number =>
    values.reduce((sum, v) => sum + v, 0) / values.length
  const overheadCpu = mean(samples.get('request objects')!.cpu[0]!)
  console.log(
    '\n| scenario | base µs wall | head µs wall | head/base wall, median (IQR) | base µs cpu | head µs cpu | head/base cpu | net of request objects |',
  )
  console.log('|---|---|---|---|---|---|---|---|')
  for (const [name, { wall, cpu }] of samples) {
    if (name === 'request objects') continue
    const ratios = wall[1]!.map((v, i) => v / wall[0]![i]!)
    const [baseCpu, headCpu] = [mean(cpu[0]!), mean(cpu[1]!)]
    const net = name.startsWith('route')
      ? ((headCpu - overheadCpu) / (baseCpu - overheadCpu)).toFixed(3)
      : ''
    console.log(
      `| ${name} | ${median(wall[0]!).toFixed(2)} | ${median(wall[1]!).toFixed(2)} | ${median(ratios).toFixed(3)} (${quartiles(ratios)}) | ${baseCpu.toFixed(2)} | ${headCpu.toFixed(2)} | ${(headCpu / baseCpu).toFixed(3)} | ${net} |`,
    )
  }
  console.log(`\nRequest objects alone: ${overheadCpu.toFixed(2)} µs CPU per call.`)
}
