import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { redisServerAvailable } from '../../demo/cluster-procs.js'
import { startRedisNodes, stopNodes, type RedisNode } from '../support/redis.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Whether a process with this pid exists (signal 0 only checks). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

describe('npm run demo:cluster (demo/cluster.ts)', function () {
  // Eight processes start, four of them compiling TypeScript, maybe beside a benchmark.
  this.timeout(180_000)
  let child: ChildProcess | undefined
  let nodes: RedisNode[] = []

  afterEach(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      // SIGTERM, not SIGKILL: the showcase must get to stop what it started.
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
    child = undefined
    await stopNodes(nodes)
    nodes = []
  })

  /** Run the showcase to its end; the developer's Redis is never used. */
  async function showcase(args: readonly string[], env: NodeJS.ProcessEnv) {
    const started = spawn(process.execPath, ['--import', 'tsx', 'demo/cluster.ts', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = started
    let stdout = ''
    let stderr = ''
    started.stdout.on('data', (data: Buffer) => (stdout += data.toString()))
    started.stderr.on('data', (data: Buffer) => (stderr += data.toString()))
    const [code] = (await once(started, 'exit')) as [number | null]
    return { code, stdout, stderr }
  }

  /** The report of one cold burst served by one computation, on every instance. */
  function expectOneComputation(stdout: string): void {
    expect(stdout).to.match(/requests served: +200 \(200 answered 200\)/)
    expect(stdout).to.match(/origin computations: +1 \(/)
    expect(stdout).to.match(/X-Cache: +1 MISS, 199 HIT/)
    expect(stdout).to.match(/^result: OK/m)
    expect(stdout).to.match(/p50 \d+ ms, p99 \d+ ms/)
    for (const app of ['app-1', 'app-2', 'app-3', 'app-4']) {
      expect(stdout).to.match(new RegExp(`^ +${app} +\\d+ +ok +\\d+`, 'm'))
    }
  }

  const pidsIn = (line: RegExp, stdout: string): number[] =>
    line.exec(stdout)?.[1]?.trim().split(' ').map(Number) ?? []

  it('serves a cold 200-request burst on 4 instances with 1 computation, exits 0, leaves nothing running', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env }
    // Never the developer's Redis: the showcase starts its own redis-server processes. Where
    // only containers are available, the harness provides the servers instead.
    delete env['REDIS_URL']
    delete env['LOCK_NODES']
    if (!redisServerAvailable()) {
      nodes = await startRedisNodes(4)
      env['REDIS_URL'] = nodes[0]!.url
      env['LOCK_NODES'] = nodes
        .slice(1)
        .map((node) => node.url)
        .join(',')
    }
    const { code, stdout, stderr } = await showcase([], env)

    expect(code, `${stdout}\n${stderr}`).to.equal(0)
    expect(stderr).to.equal('')
    expectOneComputation(stdout)
    const pids = pidsIn(/started pids: ([\d ]+)/, stdout)
    expect(pids).to.have.length(redisServerAvailable() ? 8 : 4)
    expect(pids.filter(running), 'processes still running').to.deep.equal([])
    expect(stdout).to.include(`stopped ${pids.length} processes`)
  })

  it('--redis-cluster: the same burst over a local Redis Cluster (3 masters, 3 replicas), 1 computation, nothing left running', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env }
    delete env['REDIS_URL']
    delete env['LOCK_NODES']
    const { code, stdout, stderr } = await showcase(['--redis-cluster'], env)

    expect(code, `${stdout}\n${stderr}`).to.equal(0)
    expect(stderr).to.equal('')
    expect(stdout).to.match(/store: +Redis Cluster, 3 masters \+ 3 replicas/)
    expectOneComputation(stdout)
    const clusterPids = pidsIn(/Redis Cluster, .*pids ([\d ]+)\)/, stdout)
    const pids = pidsIn(/started pids: ([\d ]+)/, stdout)
    expect(clusterPids).to.have.length(6)
    expect(pids).to.have.length(7) // 3 lock nodes, 4 apps
    expect([...clusterPids, ...pids].filter(running), 'still running').to.deep.equal([])
  })
})
