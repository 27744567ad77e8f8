import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FaultProxy } from '../support/fault-proxy.js'
import { LocalRedis } from '../support/local-redis.js'
import { check, type CheckResult } from './check/checker.js'
import { healAll, playSchedule, type Targets } from './faults.js'
import {
  addRecord,
  emptyHistory,
  type ExitRecord,
  type History,
  type SoakRecord,
} from './history.js'
import { describeSchedule, makeSchedule, type PlannedFault } from './schedule.js'
import { checkParams, type SoakSettings, type WorkerSettings } from './settings.js'
import { sleep } from './traffic.js'

/** What a soak run produced. */
export interface SoakOutcome {
  readonly settings: SoakSettings
  readonly schedule: readonly PlannedFault[]
  readonly history: History
  readonly result: CheckResult
  readonly startedAt: number
  readonly endedAt: number
  /** Where the workers' logs are (removed unless `keepLogs`). */
  readonly logDir: string
}

const workerFile = fileURLToPath(new URL('./worker.ts', import.meta.url))

/**
 * Run a soak: start the Redis servers (store, 3 lock nodes, and the "database" holding the
 * data generations, which is never faulted), a fault proxy per worker in front of the store,
 * the workers, the traffic and the fault schedule;
 * stop everything; read the logs; check the invariants.
 */
export async function runSoak(
  settings: SoakSettings,
  say: (line: string) => void,
  keepLogs = false,
): Promise<SoakOutcome> {
  const schedule = makeSchedule(settings)
  say(
    `seed ${settings.seed}: ${settings.workers} workers, ${settings.durationMs / 1000} s, ${schedule.length} faults`,
  )
  for (const line of describeSchedule(schedule)) say(`  ${line}`)
  const logDir = mkdtempSync(join(tmpdir(), 'herdlock-soak-'))
  const servers = await Promise.all(Array.from({ length: 5 }, () => LocalRedis.start()))
  const [store, oracle, ...lockNodes] = servers as [LocalRedis, LocalRedis, ...LocalRedis[]]
  const history = emptyHistory()
  const crash = (kind: 'unhandledRejection' | 'uncaughtException') => (error: unknown) =>
    addRecord(history, { type: 'crash', worker: -1, at: Date.now(), kind, message: String(error) })
  const onRejection = crash('unhandledRejection')
  process.on('unhandledRejection', onRejection)
  let workers: ChildProcess[] = []
  const proxies: FaultProxy[] = []
  try {
    for (let i = 0; i < settings.workers; i++) proxies.push(await FaultProxy.start(store.url))
    workers = await startWorkers(settings, { proxies, oracle, lockNodes }, logDir)
    const targets: Targets = { store, lockNodes, workers, proxies }
    const startedAt = Date.now()
    for (const child of workers) child.send({ type: 'go' })
    say('traffic started; faults:')
    await playSchedule(schedule, targets, startedAt, (fault) => addRecord(history, fault), say)
    await sleep(startedAt + settings.durationMs - Date.now())
    await healAll(targets)
    say('stopping workers')
    const exits = await stopWorkers(workers, logDir, exitDeadline(settings))
    for (const exit of exits) addRecord(history, exit)
    const endedAt = Date.now()
    readLogs(history, logDir, settings.workers)
    const result = check(history, checkParams(settings, startedAt))
    return { settings, schedule, history, result, startedAt, endedAt, logDir }
  } finally {
    process.off('unhandledRejection', onRejection)
    for (const child of workers)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await Promise.all(proxies.map((proxy) => proxy.close()))
    await Promise.all(servers.map((server) => server.stop()))
    if (!keepLogs) rmSync(logDir, { recursive: true, force: true })
  }
}

async function startWorkers(
  settings: SoakSettings,
  servers: { proxies: readonly FaultProxy[]; oracle: LocalRedis; lockNodes: readonly LocalRedis[] },
  logDir: string,
): Promise<ChildProcess[]> {
  const prefix = `soak${settings.seed}`
  const children = Array.from({ length: settings.workers }, (_, index) => {
    const config: WorkerSettings = {
      index,
      seed: settings.seed + index + 1,
      l1: index % 2 === 0,
      store: servers.proxies[index]!.url,
      lockNodes: servers.lockNodes.map((node) => node.url),
      oracle: servers.oracle.url,
      prefix,
      logFile: join(logDir, `worker-${index}.jsonl`),
      soak: settings,
    }
    return fork(workerFile, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, SOAK_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
  })
  await Promise.all(children.map((child) => ready(child)))
  return children
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`soak worker exited during start (${code})`))
    child.once('exit', onExit)
    child.on('message', (message: { type: string }) => {
      if (message.type !== 'ready') return
      child.off('exit', onExit)
      resolve()
    })
  })
}

/** Ask every worker to stop; each must exit by itself with code 0 before the deadline. */
/** A worker settles its calls (liveness bound), closes its cache, then exits: 10 s for the last two. */
function exitDeadline(settings: SoakSettings): number {
  return settings.waitTimeoutMs + 2 * settings.fnMaxMs + 10 * settings.commandTimeoutMs + 10_000
}

async function stopWorkers(
  workers: readonly ChildProcess[],
  logDir: string,
  deadlineMs: number,
): Promise<ExitRecord[]> {
  return Promise.all(
    workers.map(async (child, worker) => {
      const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
      if (child.connected) child.send({ type: 'stop' })
      let killed = false
      const timer = setTimeout(() => {
        killed = true
        child.kill('SIGKILL')
      }, deadlineMs)
      const [code, signal] = await exited
      clearTimeout(timer)
      const leaksFile = join(logDir, `worker-${worker}.jsonl.leaks`)
      const leaked = existsSync(leaksFile)
        ? (JSON.parse(readFileSync(leaksFile, 'utf8')) as string[])
        : undefined
      return { type: 'exit' as const, worker, code, signal, killed, leaked }
    }),
  )
}

function readLogs(history: History, logDir: string, workers: number): void {
  for (let worker = 0; worker < workers; worker++) {
    const file = join(logDir, `worker-${worker}.jsonl`)
    if (!existsSync(file)) continue
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue
      addRecord(history, JSON.parse(line) as SoakRecord)
    }
  }
}
