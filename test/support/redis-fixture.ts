/**
 * Mocha global fixture (loaded through .mocharc.json "require"). It picks where test Redis
 * servers come from, in this order, and starts one shared server for the run:
 *   1. REDIS_URL, when set: used as the shared server (nothing is started for it);
 *   2. testcontainers, when a container runtime answers;
 *   3. redis-server processes on free loopback ports.
 * REDIS_HARNESS=local|testcontainers forces a strategy. No Redis at all is a loud failure.
 * Tests that need servers of their own (failure injection, quorum) call startRedisNodes().
 */
import { stopSharedCluster } from './local-cluster.js'
import { chooseStrategy, startRedisNodes, stopAllNodes, useSharedUrl } from './redis.js'

export async function mochaGlobalSetup(): Promise<void> {
  const strategy = await chooseStrategy()
  const external = process.env['REDIS_URL']
  if (external !== undefined && external !== '') {
    useSharedUrl(external)
    log(`shared server: REDIS_URL=${external}; own servers via ${strategy}`)
    return
  }
  const [shared] = await startRedisNodes(1)
  useSharedUrl(shared!.url)
  log(`shared server: ${shared!.url} (${strategy})`)
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopSharedCluster()
  await stopAllNodes()
  armLeakWatchdog()
}

/**
 * A suite that leaves a socket, timer or child process behind would keep mocha alive forever.
 * Fail fast instead: if the process is still running a few seconds after the last test, list
 * what holds it open and exit non-zero. The timer is unref'd, so it never keeps anything alive.
 */
function armLeakWatchdog(): void {
  const timer = setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles()
    const names = handles.map((handle) => handle.constructor.name)
    console.error(
      `[redis-fixture] the test run leaked handles and did not exit: ${names.join(', ')}`,
    )
    process.exit(1)
  }, 10_000)
  timer.unref()
}

function log(message: string): void {
  if (process.env['REDIS_HARNESS_QUIET'] !== '1') console.log(`[redis-fixture] ${message}`)
}
