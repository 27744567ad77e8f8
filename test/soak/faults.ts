import type { ChildProcess } from 'node:child_process'
import type { FaultProxy } from '../support/fault-proxy.js'
import type { LocalRedis } from '../support/local-redis.js'
import type { FaultRecord } from './history.js'
import { targetName, type PlannedFault } from './schedule.js'
import { sleep } from './traffic.js'

/** The processes faults are injected into. */
export interface Targets {
  readonly store: LocalRedis
  readonly lockNodes: readonly LocalRedis[]
  readonly workers: readonly ChildProcess[]
  /** Each worker reaches the store through its own fault proxy. */
  readonly proxies: readonly FaultProxy[]
}

/**
 * Plays a fault schedule against real processes: SIGSTOP/SIGCONT of redis-server and worker
 * processes, SIGKILL and restart of servers on the same port, and resets of a worker's
 * subscriber connection (herdlock must resubscribe, and must not trust what it missed). Each fault is
 * recorded from its first signal to its end (resumed, or restarted and answering PING).
 * Subscriber kills go through the worker's fault proxy (test/support/fault-proxy.ts): its pub/sub
 * connection is reset (TCP RST), the other connections are left alone.
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
    const worker =
      fault.kind === 'worker-pause' || fault.kind === 'pubsub-kill' ? fault.targets[0] : undefined
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
      targets.proxies[fault.targets[0]!]!.killSubscribers()
      return
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

/** Undo whatever a fault may have left behind (a run interrupted mid-fault). */
export async function healAll(targets: Targets): Promise<void> {
  for (const child of targets.workers) if (child.exitCode === null) child.kill('SIGCONT')
  for (const server of [targets.store, ...targets.lockNodes]) {
    await server.resume()
    if (!server.running) await server.restart()
  }
}
