import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'
import { deferred } from '../support/wait.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

function get(port: number, path: string): Promise<{ status: number; xCache: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, xCache: res.headers['x-cache'] }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('npm run demo (demo/server.ts)', function () {
  // Generous: the server compiles its TypeScript at start, maybe beside a benchmark.
  this.timeout(90_000)
  let child: ChildProcess | undefined

  afterEach(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    }
    child = undefined
  })

  it('prints a banner naming the store, serves cached routes, and stops cleanly on SIGINT', async () => {
    const server = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: '0',
        REDIS_URL: sharedRedisUrl(),
        HERDLOCK_PREFIX: uniquePrefix('demo'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = server
    let stdout = ''
    let stderr = ''
    const listening = deferred<number>()
    server.stdout.on('data', (data: Buffer) => {
      stdout += data.toString()
      const match = /listening on http:\/\/localhost:(\d+)/.exec(stdout)
      // The banner is printed in one go; wait for its last line.
      if (match !== null && stdout.includes('Ctrl-C')) listening.resolve(Number(match[1]))
    })
    server.stderr.on('data', (data: Buffer) => (stderr += data.toString()))
    const exited = once(server, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
    void exited.then(() => listening.reject(new Error(`server exited early: ${stdout}${stderr}`)))

    const port = await listening.promise
    expect(stdout).to.include('caching in Redis at REDIS_URL')
    expect(stdout).to.include(`curl -i http://localhost:${port}/api/predictions/9`)
    expect(stdout).to.include(`http://localhost:${port}/cache/status`)

    expect(await get(port, '/api/predictions/3')).to.deep.equal({ status: 200, xCache: 'MISS' })
    expect(await get(port, '/api/predictions/3')).to.deep.equal({ status: 200, xCache: 'HIT' })
    expect(await get(port, '/api/matches')).to.deep.equal({ status: 200, xCache: 'MISS' })
    expect((await get(port, '/cache/status/health')).status).to.equal(200)

    server.kill('SIGINT')
    const [code, signal] = await exited
    expect({ code, signal, stderr }).to.deep.equal({ code: 0, signal: null, stderr: '' })
    expect(stdout.trimEnd().split('\n').at(-1)).to.match(/^herdlock demo \(.+\) stopped$/)
  })
})
