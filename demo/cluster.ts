import { randomBytes } from 'node:crypto'
import { LocalCluster } from '../test/support/local-cluster.js'
import { PREDICTIONS_NAMESPACE } from './app.js'
import { buildReport, fireBurst, readFigures } from './cluster-report.js'
import {
  ProcessGroup,
  redisServerAvailable,
  startApp,
  startRedisServer,
  type AppInstance,
} from './cluster-procs.js'

/**
 * `npm run demo:cluster`: the multi-instance showcase. It starts a store and three Redlock nodes
 * (its own redis-server processes, or REDIS_URL and LOCK_NODES when set), four demo app
 * instances on separate ports, fires a burst of concurrent requests at one cold, expensive
 * route across all of them, prints what happened (requests served, origin computations,
 * latency, each instance's own counters) and stops everything it started. Exit code 0 only
 * when the burst cost exactly one computation and every request was answered.
 *
 * `npm run demo:cluster -- --redis-cluster`: the store is a local Redis Cluster instead (3
 * masters, 3 replicas, started here from redis-server processes with the test harness's
 * LocalCluster), the lock nodes stay 3 independent servers (a Redlock quorum); same report,
 * same cleanup.
 */

const APP_COUNT = 4
const LOCK_NODE_COUNT = 3
const PER_INSTANCE = 50
const BURST_PATH = '/api/predictions/9'
/** Set by the first SIGINT or SIGTERM. */
let interrupted = false

const ON_CLUSTER = process.argv.slice(2).includes('--redis-cluster')
/** The local Redis Cluster of `--redis-cluster`, stopped at shutdown. */
let localCluster: LocalCluster | undefined

/** Where the instances keep their cache and take their locks. */
interface Topology {
  /** A Redis URL, or the node URLs of a Redis Cluster (`cluster`). */
  readonly store: string
  readonly cluster: readonly string[] | undefined
  readonly lockNodes: readonly string[]
  readonly startedHere: boolean
}

async function provideRedis(group: ProcessGroup): Promise<Topology> {
  const external = process.env['REDIS_URL']
  if (external !== undefined && external !== '') {
    const listed = (process.env['LOCK_NODES'] ?? '').split(',').filter((url) => url.trim() !== '')
    return {
      store: external,
      cluster: undefined,
      lockNodes: listed.length > 0 ? listed : [external],
      startedHere: false,
    }
  }
  if (!redisServerAvailable()) {
    throw new Error(
      'redis-server is not on the PATH: install it (e.g. apt-get install redis-server), ' +
        'or set REDIS_URL (and optionally LOCK_NODES) to Redis servers to use',
    )
  }
  const lockNames = Array.from({ length: LOCK_NODE_COUNT }, (_, i) => `lock-${i + 1}`)
  if (ON_CLUSTER) {
    localCluster = await LocalCluster.start({ masters: 3, replicas: 1 })
    const nodes = localCluster.rootNodes.map((node) => node.url)
    const lockNodes = await Promise.all(
      lockNames.map((name) => startRedisServer(group, `redis-${name}`)),
    )
    return { store: nodes[0]!, cluster: nodes, lockNodes, startedHere: true }
  }
  const names = ['store', ...lockNames]
  const urls = await Promise.all(names.map((name) => startRedisServer(group, `redis-${name}`)))
  return { store: urls[0]!, cluster: undefined, lockNodes: urls.slice(1), startedHere: true }
}

async function startApps(group: ProcessGroup, topology: Topology): Promise<AppInstance[]> {
  // A fresh prefix per run: a previous run's entries must not turn the cold burst into hits.
  const prefix = `herdlock-demo-${randomBytes(4).toString('hex')}`
  const env = {
    ...(topology.cluster === undefined
      ? { REDIS_URL: topology.store }
      : { REDIS_CLUSTER: topology.cluster.join(',') }),
    LOCK_NODES: topology.lockNodes.join(','),
    HERDLOCK_PREFIX: prefix,
  }
  const names = Array.from({ length: APP_COUNT }, (_, i) => `app-${i + 1}`)
  return Promise.all(names.map((name) => startApp(group, name, env)))
}

async function run(group: ProcessGroup): Promise<boolean> {
  const topology = await provideRedis(group)
  const source = topology.startedHere ? 'redis-server processes started here' : 'REDIS_URL'
  console.log(`herdlock demo:cluster`)
  if (topology.cluster === undefined) {
    console.log(`  store:      ${hostOf(topology.store)} (${source})`)
  } else {
    const pids = localCluster?.nodes.map((node) => node.server.pid).join(' ') ?? ''
    console.log(`  store:      Redis Cluster, 3 masters + 3 replicas (${source}, pids ${pids})`)
    console.log(`              nodes ${topology.cluster.map(hostOf).join(', ')}`)
  }
  console.log(`  lock nodes: ${topology.lockNodes.map(hostOf).join(', ')} (Redlock)`)
  const apps = await startApps(group, topology)
  console.log(`  apps:       ${apps.map((app) => `${app.name} :${app.port}`).join(', ')}`)
  console.log(`  started pids: ${group.procs.map((proc) => proc.pid).join(' ')}`)
  console.log('')

  const cold = await fireBurst(apps, BURST_PATH, PER_INSTANCE)
  const warm = await fireBurst(apps, BURST_PATH, PER_INSTANCE)
  const figures = await readFigures(apps, PREDICTIONS_NAMESPACE)
  const report = buildReport({
    path: BURST_PATH,
    perInstance: PER_INSTANCE,
    namespace: PREDICTIONS_NAMESPACE,
    cold,
    warm,
    figures,
  })
  for (const line of report.lines) console.log(line)
  return report.ok
}

/** Stop everything, then check that every child went away cleanly. */
async function shutdown(group: ProcessGroup): Promise<boolean> {
  await group.stopAll()
  await localCluster?.stop()
  if (interrupted) return false // the signal handler reports and exits
  const unclean = group.procs.filter(
    (proc) => proc.child.exitCode !== 0 || proc.errors().trim() !== '',
  )
  console.log(`stopped ${group.procs.length} processes`)
  for (const proc of unclean) {
    const how = proc.child.exitCode ?? proc.child.signalCode
    console.error(`${proc.name} (pid ${proc.pid}) ended with ${how}; its output:`)
    console.error(indent(proc.output()))
  }
  return unclean.length === 0
}

/** Ctrl-C (or SIGTERM) stops everything that was started, then exits with 128 + signal. */
function stopOnSignals(group: ProcessGroup): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      if (interrupted) return group.killNow() // a second Ctrl-C: no more waiting
      interrupted = true
      console.log(`\n${signal}: stopping everything demo:cluster started`)
      void Promise.all([group.stopAll(), localCluster?.stop()]).then(() => {
        console.log(`stopped ${group.procs.length} processes`)
        process.exit(code)
      })
    })
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return '(unparsable URL)'
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')
}

const group = new ProcessGroup()
stopOnSignals(group)
let ok = false
try {
  ok = await run(group)
} catch (error) {
  // After Ctrl-C, children dying mid-start is expected, not worth an error message.
  if (!interrupted)
    console.error(`demo:cluster failed: ${error instanceof Error ? error.message : String(error)}`)
} finally {
  ok = (await shutdown(group)) && ok
}
process.exitCode = ok ? 0 : 1
