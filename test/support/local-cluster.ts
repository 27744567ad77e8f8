import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { createClient } from 'redis'
import { LocalRedis } from './local-redis.js'

/**
 * A Redis Cluster made of local `redis-server` processes on free ports, for tests: masters with
 * replicas and a short node timeout, built with CLUSTER commands (what `redis-cli --cluster
 * create` sends, without needing redis-cli), ready once every node reports `cluster_state:ok`
 * and agrees on the slot map. Every process is a LocalRedis, so a crashed run still kills it.
 */

/** How to build the cluster. */
export interface ClusterShape {
  /** @default 3 */
  readonly masters?: number
  /** Replicas per master. @default 1 */
  readonly replicas?: number
  /** `cluster-node-timeout`: how soon a dead master is failed over. @default 1000 */
  readonly nodeTimeoutMs?: number
  /** `cluster-require-full-coverage`: whether one dead master stops every slot. @default true */
  readonly requireFullCoverage?: boolean
}

const SLOTS = 16_384
const READY_TIMEOUT_MS = 30_000
const POLL_MS = 50

/** One node and what the cluster says it is. */
export interface ClusterNode {
  readonly server: LocalRedis
  readonly id: string
}

export class LocalCluster {
  readonly #dir: string
  readonly #nodes: ClusterNode[]

  private constructor(dir: string, nodes: ClusterNode[]) {
    this.#dir = dir
    this.#nodes = nodes
  }

  /** Start the servers, assign slots, join them, attach replicas, and wait until it is healthy. */
  static async start(shape: ClusterShape = {}): Promise<LocalCluster> {
    const masters = shape.masters ?? 3
    const count = masters * (1 + (shape.replicas ?? 1))
    const dir = mkdtempSync(join(tmpdir(), 'herdlock-cluster-'))
    const args = (port: number): string[] => [
      ...['--cluster-enabled', 'yes', '--dir', dir, '--repl-diskless-sync-delay', '0'],
      ...['--cluster-config-file', `nodes-${port}.conf`],
      ...['--cluster-node-timeout', String(shape.nodeTimeoutMs ?? 1_000)],
      ...['--cluster-require-full-coverage', shape.requireFullCoverage === false ? 'no' : 'yes'],
    ]
    const servers: LocalRedis[] = []
    try {
      for (const server of await Promise.all(
        Array.from({ length: count }, () => LocalRedis.start(args)),
      ))
        servers.push(server)
      const nodes = await Promise.all(
        servers.map(async (server) => ({ server, id: await run(server, ['CLUSTER', 'MYID']) })),
      )
      const cluster = new LocalCluster(dir, nodes)
      await cluster.#form(masters)
      return cluster
    } catch (error) {
      await Promise.all(servers.map((server) => server.stop()))
      rmSync(dir, { recursive: true, force: true })
      throw error
    }
  }

  /** Every node, masters first as they were created (roles change after a failover). */
  get nodes(): readonly ClusterNode[] {
    return this.#nodes
  }

  /** The `rootNodes` a node-redis cluster client starts from. */
  get rootNodes(): { url: string }[] {
    return this.#nodes.map((node) => ({ url: node.server.url }))
  }

  /** The node serving `key`'s slot as master now, asked of a running node. */
  async masterOf(key: string): Promise<ClusterNode> {
    const asker = this.#running()[0]!
    const slot = Number(await run(asker.server, ['CLUSTER', 'KEYSLOT', key]))
    const owners = await slotOwners(asker.server)
    const port = owners.find((range) => slot >= range.from && slot <= range.to)?.port
    const owner = this.#nodes.find((node) => node.server.port === port)
    if (owner === undefined) throw new Error(`no master serves slot ${slot}`)
    return owner
  }

  /**
   * Names `name(0)`, `name(1)`, ... until one per master is found; `redisKey` maps a name to the
   * Redis key whose slot counts (e.g. herdlock's hash tag `{<namespace>:<key>}`).
   */
  async keysOnEveryMaster(
    name: (i: number) => string,
    redisKey: (name: string) => string = (n) => n,
  ): Promise<string[]> {
    const owners = await slotOwners(this.#running()[0]!.server)
    const masters = new Set(owners.map((range) => range.port)).size
    const wanted = new Map<number, string>()
    for (let i = 0; wanted.size < masters; i++) {
      const master = await this.masterOf(redisKey(name(i)))
      if (!wanted.has(master.server.port)) wanted.set(master.server.port, name(i))
    }
    return [...wanted.values()]
  }

  /** Resolves when every running node reports `cluster_state:ok` and they agree on the slots. */
  async waitHealthy(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (await this.#healthy()) return
      if (Date.now() > deadline) throw new Error('the cluster did not become healthy in time')
      await delay(POLL_MS)
    }
  }

  /**
   * Move the slot of `key` to `target` (a master) as `redis-cli --cluster reshard` does: mark it
   * importing on the target and migrating on the owner, hand over its keys with MIGRATE in
   * batches, then assign it to the target everywhere. `phases.migrating` runs while the slot is
   * migrating and its keys still sit on the owner; `phases.moved` once its keys are on the
   * target but the owner still serves the slot (clients get ASK for every key of it).
   */
  async migrateSlot(
    key: string,
    target: ClusterNode,
    phases: { migrating?: () => Promise<void>; moved?: () => Promise<void> } = {},
  ): Promise<void> {
    const owner = await this.masterOf(key)
    const slot = await run(owner.server, ['CLUSTER', 'KEYSLOT', key])
    await run(target.server, ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', owner.id])
    await run(owner.server, ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id])
    await phases.migrating?.()
    for (;;) {
      const listed = await run(owner.server, ['CLUSTER', 'GETKEYSINSLOT', slot, '1000'])
      const keys = JSON.parse(listed === '' ? '[]' : listed) as string[]
      if (keys.length === 0) break
      const port = String(target.server.port)
      await run(owner.server, ['MIGRATE', '127.0.0.1', port, '', '0', '5000', 'KEYS', ...keys])
    }
    await phases.moved?.()
    for (const node of [target, owner]) {
      await run(node.server, ['CLUSTER', 'SETSLOT', slot, 'NODE', target.id])
    }
    // The other masters learn it too (replicas refuse SETSLOT and learn it by gossip).
    const others = this.#running().filter((node) => node !== owner && node !== target)
    await Promise.all(
      others.map((node) =>
        run(node.server, ['CLUSTER', 'SETSLOT', slot, 'NODE', target.id]).catch(() => undefined),
      ),
    )
    await this.waitHealthy()
  }

  /** Kill every node and remove their files. */
  async stop(): Promise<void> {
    await Promise.all(this.#nodes.map((node) => node.server.stop()))
    rmSync(this.#dir, { recursive: true, force: true })
  }

  async #form(masters: number): Promise<void> {
    const nodes = this.#nodes
    await Promise.all(
      nodes.map((node, i) => run(node.server, ['CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1)])),
    )
    await Promise.all(
      nodes.slice(0, masters).map((node, i) => {
        const from = Math.floor((i * SLOTS) / masters)
        const to = Math.floor(((i + 1) * SLOTS) / masters) - 1
        return run(node.server, ['CLUSTER', 'ADDSLOTSRANGE', String(from), String(to)])
      }),
    )
    const first = nodes[0]!.server
    await Promise.all(
      nodes
        .slice(1)
        .map((node) => run(node.server, ['CLUSTER', 'MEET', '127.0.0.1', `${first.port}`])),
    )
    await this.#until(async () => {
      const known = await Promise.all(nodes.map((node) => clusterNodes(node.server)))
      return known.every((lines) => lines.length === nodes.length)
    })
    await Promise.all(
      nodes.slice(masters).map((node, i) => {
        const master = nodes[i % masters]!
        return run(node.server, ['CLUSTER', 'REPLICATE', master.id])
      }),
    )
    await this.waitHealthy()
  }

  async #healthy(): Promise<boolean> {
    try {
      const running = this.#running()
      const infos = await Promise.all(running.map((node) => run(node.server, ['CLUSTER', 'INFO'])))
      if (!infos.every((info) => info.includes('cluster_state:ok'))) return false
      const maps = await Promise.all(running.map((node) => slotOwners(node.server)))
      const first = JSON.stringify(maps[0])
      if (!maps.every((map) => JSON.stringify(map) === first)) return false
      // Every replica has a live link to its master (it can take over).
      const views = await Promise.all(running.map((node) => clusterNodes(node.server)))
      return views.every((lines) => !lines.some((line) => /fail|handshake|noaddr/.test(line)))
    } catch {
      return false
    }
  }

  async #until(check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('the cluster did not form in time')
      await delay(POLL_MS)
    }
  }

  /** Nodes that answer: running and not paused (a paused node would hang every question). */
  #running(): ClusterNode[] {
    const running = this.#nodes.filter((node) => node.server.running && !node.server.paused)
    if (running.length === 0) throw new Error('no cluster node is running')
    return running
  }
}

/** One command on one node, through a short-lived client; the reply as text. */
async function run(server: LocalRedis, args: string[]): Promise<string> {
  const client = createClient({ url: server.url, socket: { reconnectStrategy: false } })
  client.on('error', () => undefined)
  await client.connect()
  try {
    const reply: unknown = await client.sendCommand(args)
    if (typeof reply === 'string' || typeof reply === 'number') return String(reply)
    return Buffer.isBuffer(reply) ? reply.toString() : JSON.stringify(reply)
  } finally {
    client.destroy()
  }
}

async function clusterNodes(server: LocalRedis): Promise<string[]> {
  return (await run(server, ['CLUSTER', 'NODES'])).trim().split('\n')
}

/** Slot ranges and the port of the master serving each, sorted (from `CLUSTER NODES`). */
async function slotOwners(
  server: LocalRedis,
): Promise<{ from: number; to: number; port: number }[]> {
  const ranges: { from: number; to: number; port: number }[] = []
  for (const line of await clusterNodes(server)) {
    const fields = line.split(' ')
    if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue
    const port = Number(fields[1]?.split('@')[0]?.split(':')[1])
    for (const range of fields.slice(8)) {
      if (range.startsWith('[')) continue // a slot being migrated or imported
      const [from, to] = range.split('-').map(Number)
      ranges.push({ from: from!, to: to ?? from!, port })
    }
  }
  return ranges.sort((a, b) => a.from - b.from)
}

let shared: Promise<LocalCluster> | undefined

/**
 * One cluster for every suite that only reads and writes (started on first use, stopped by the
 * global teardown): a cluster costs seconds to form. Tests that kill or move nodes start their own.
 */
export function sharedCluster(): Promise<LocalCluster> {
  shared ??= LocalCluster.start()
  return shared
}

/** Stop the shared cluster, if one was started. */
export async function stopSharedCluster(): Promise<void> {
  const started = shared
  shared = undefined
  await (await started?.catch(() => undefined))?.stop()
}
