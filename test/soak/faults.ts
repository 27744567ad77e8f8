import type { ChildProcess } from 'node:child_process'
import { createClient } from 'redis'
import type { LocalRedis } from '../support/local-redis.js'
import type { FaultRecord } from './history.js'
import { targetName, type PlannedFault } from './schedule.js'
import { sleep } from './traffic.js'

/** The processes faults are injected into. */
export interface Targets {
  readonly store: LocalRedis
  readonly lockNodes: readonly LocalRedis[]
  readonly workers: readonly ChildProcess[]
}

/**
 * Plays a fault schedule against real processes: SIGSTOP/SIGCONT of redis-server and worker
 * processes, SIGKILL and restart of servers on the same port, and `CLIENT KILL TYPE pubsub` on
 * the store (every subscriber connection is cut; herdlock must resubscribe). Each fault is
 * recorded from its first signal to its end (resumed, or restarted and answering PING).
 */
export async function playSchedule(
  schedule: readonly PlannedFault[],
  targets: Targets,
  startedAt: number,
  record: (fault: FaultRecord) => void,
  say: (line: string) => void,
): Promise<void> {
  for (const fault of schedule) {
    const wait = startedAt + fault.atMs - Date.now()
    if (wait > 0) await sleep(wait)
    const start = Date.now()
    await apply(fault, targets)
    const end = Date.now()
    const worker = fault.kind === 'worker-pause' ? fault.targets[0] : undefined
    record({
      type: 'fault',
      id: fault.id,
      kind: fault.kind,
      target: targetName(fault),
      worker,
      start,
      end,
    })
    say(`  ${fault.id} ${fault.kind} ${targetName(fault)}: ${end - start} ms`)
  }
}

async function apply(fault: PlannedFault, targets: Targets): Promise<void> {
  const nodes = fault.targets.map((index) => targets.lockNodes[index]!)
  switch (fault.kind) {
    case 'store-pause':
      return hold([targets.store], fault.durationMs)
    case 'lock-pause':
    case 'lock-quorum':
      return hold(nodes, fault.durationMs)
    case 'store-restart':
      return restart(targets.store, fault.durationMs)
    case 'lock-restart':
      return restart(nodes[0]!, fault.durationMs)
    case 'pubsub-kill':
      return killSubscribers(targets.store.url)
    case 'worker-pause': {
      const child = targets.workers[fault.targets[0]!]!
      child.kill('SIGSTOP')
      await sleep(fault.durationMs)
      child.kill('SIGCONT')
      return
    }
  }
}

async function hold(servers: readonly LocalRedis[], ms: number): Promise<void> {
  await Promise.all(servers.map((server) => server.pause()))
  await sleep(ms)
  await Promise.all(servers.map((server) => server.resume()))
}

async function restart(server: LocalRedis, downMs: number): Promise<void> {
  await server.stop()
  await sleep(downMs)
  await server.restart()
}

/** Cut every pub/sub connection of the store (its clients must notice and resubscribe). */
async function killSubscribers(url: string): Promise<void> {
  const admin = createClient({ url, socket: { connectTimeout: 2_000, reconnectStrategy: false } })
  admin.on('error', () => undefined)
  try {
    await admin.connect()
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub'])
  } finally {
    await admin.close().catch(() => undefined)
  }
}

/** Undo whatever a fault may have left behind (a run interrupted mid-fault). */
export async function healAll(targets: Targets): Promise<void> {
  for (const child of targets.workers) if (child.exitCode === null) child.kill('SIGCONT')
  for (const server of [targets.store, ...targets.lockNodes]) {
    await server.resume()
    if (!server.running) await server.restart()
  }
}
