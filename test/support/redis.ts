import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import { ContainerRedis, stopAllContainers } from './container-redis.js'
import { killAllLocal, LocalRedis } from './local-redis.js'
import type { RedisNode } from './redis-node.js'

export type { RedisNode } from './redis-node.js'

type Strategy = 'local' | 'testcontainers'

let strategy: Strategy | undefined
let sharedUrl: string | undefined
const nodes = new Set<RedisNode>()

// Safety net: a crash or Ctrl-C must not leave redis-server processes behind.
process.once('exit', killAllLocal)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllLocal()
    process.kill(process.pid, signal)
  })
}

/** Decide where servers come from; throws when neither a runtime nor redis-server exists. */
export async function chooseStrategy(): Promise<Strategy> {
  const forced = process.env['REDIS_HARNESS']
  if (forced === 'local' || forced === 'testcontainers') return (strategy = forced)
  if (await containerRuntimeAvailable()) return (strategy = 'testcontainers')
  const probe = spawnSync(process.env['REDIS_SERVER_BIN'] ?? 'redis-server', ['--version'])
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      'No Redis for the tests: set REDIS_URL, run a container runtime, or install redis-server ' +
        '(apt-get install redis-server). Tests never skip for want of Redis.',
    )
  }
  return (strategy = 'local')
}

/** The shared server of this run (for tests that only need "a Redis"). */
export function sharedRedisUrl(): string {
  if (sharedUrl === undefined) throw new Error('the redis fixture did not run')
  return sharedUrl
}

export function useSharedUrl(url: string): void {
  sharedUrl = url
}

/** Start `count` independent servers; stop them with stopNodes (or at the end of the run). */
export async function startRedisNodes(count: number): Promise<RedisNode[]> {
  strategy ??= await chooseStrategy()
  const start = (): Promise<RedisNode> =>
    strategy === 'testcontainers' ? ContainerRedis.start() : LocalRedis.start()
  const started = await Promise.all(Array.from({ length: count }, start))
  for (const node of started) nodes.add(node)
  return started
}

/** Stop servers started by startRedisNodes. */
export async function stopNodes(list: readonly RedisNode[]): Promise<void> {
  await Promise.all(list.map((node) => node.stop()))
  for (const node of list) nodes.delete(node)
}

/** Stop everything started in this run. */
export async function stopAllNodes(): Promise<void> {
  await stopNodes([...nodes])
  await stopAllContainers()
  killAllLocal()
}

/** A key prefix no other test uses, so tests sharing a server never see each other's keys. */
export function uniquePrefix(label = 't'): string {
  return `hltest-${label}-${randomBytes(4).toString('hex')}`
}

/** Cheap check first (no import), then ask testcontainers itself. */
async function containerRuntimeAvailable(): Promise<boolean> {
  const home = homedir()
  const candidates = [
    join(home, '.testcontainers.properties'),
    '/var/run/docker.sock',
    process.env['XDG_RUNTIME_DIR'] ? join(process.env['XDG_RUNTIME_DIR'], 'docker.sock') : '',
    join(home, '.docker', 'run', 'docker.sock'),
    join(home, '.docker', 'desktop', 'docker.sock'),
    `/run/user/${userInfo().uid}/docker.sock`,
  ]
  const hinted =
    process.env['DOCKER_HOST'] !== undefined ||
    process.env['TESTCONTAINERS_HOST_OVERRIDE'] !== undefined ||
    candidates.some((path) => path !== '' && existsSync(path))
  if (!hinted) return false
  try {
    const tc = await import('testcontainers')
    await tc.getContainerRuntimeClient()
    return true
  } catch {
    return false
  }
}
