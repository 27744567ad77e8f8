import { expect } from 'chai'
import { fork, type ChildProcess } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createClient } from 'redis'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'

const workerFile = fileURLToPath(new URL('./route-worker.ts', import.meta.url))

interface Reply {
  status: number
  body: string
  xCache: string | undefined
  cookie: string | undefined
}

function get(port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Instances behind one load balancer all see the site's Host (the key holds it as sent).
    const headers = { host: 'site.example' }
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          xCache: res.headers['x-cache'] as string | undefined,
          cookie: res.headers['set-cookie']?.[0],
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

async function startWorkers(
  count: number,
  prefix: string,
): Promise<{ children: ChildProcess[]; ports: number[] }> {
  const children: ChildProcess[] = []
  const ports = await Promise.all(
    Array.from({ length: count }, () => {
      const child = fork(workerFile, [], {
        execArgv: ['--import', 'tsx'],
        env: {
          ...process.env,
          HERDLOCK_WORKER: JSON.stringify({ redis: sharedRedisUrl(), prefix }),
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      children.push(child)
      return new Promise<number>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`worker exited during start (${code})`)))
        child.on('message', (message: { type: string; port: number }) => {
          if (message.type === 'ready') resolve(message.port)
        })
      })
    }),
  )
  return { children, ports }
}

async function stopWorkers(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
          child.once('exit', () => {
            clearTimeout(timer)
            resolve()
          })
          if (child.connected)
            child.send({ type: 'exit' }, (error) => error && child.kill('SIGKILL'))
          else child.kill('SIGKILL')
        }),
    ),
  )
}

describe('cacheRoute across 4 server processes', function () {
  this.timeout(60_000)
  let children: ChildProcess[] = []
  let ports: number[] = []
  let prefix: string

  const runs = async (route: string): Promise<number> => {
    const client = createClient({ url: sharedRedisUrl() })
    await client.connect()
    try {
      return Number(await client.get(`${prefix}:runs:${route}`))
    } finally {
      await client.close()
    }
  }
  const burst = (path: string): Promise<Reply[]> =>
    Promise.all(ports.flatMap((port) => Array.from({ length: 100 }, () => get(port, path))))

  beforeEach(async () => {
    prefix = uniquePrefix('route')
    ;({ children, ports } = await startWorkers(4, prefix))
  })
  afterEach(() => stopWorkers(children))

  it('sends 400 concurrent requests for a cold route to the origin once', async () => {
    const replies = await burst('/slow')
    expect(replies.every((r) => r.status === 200)).to.equal(true)
    expect(
      new Set(replies.map((r) => r.body)).size,
      'every client gets the same response',
    ).to.equal(1)
    expect(await runs('slow')).to.equal(1)
    expect(replies.filter((r) => r.xCache === 'MISS')).to.have.length(1)
    expect(replies.filter((r) => r.xCache === 'HIT')).to.have.length(399)
  })

  it('runs the handler for everyone and replays no cookie when the response sets one', async () => {
    const replies = await burst('/cookie')
    expect(replies.every((r) => r.status === 200)).to.equal(true)
    expect(await runs('cookie')).to.equal(400)
    const cookies = replies.map((r) => r.cookie)
    expect(cookies.every((cookie) => cookie !== undefined)).to.equal(true)
    expect(new Set(cookies).size, 'no cookie is handed to two clients').to.equal(400)
    for (const reply of replies) {
      const run = (JSON.parse(reply.body) as { run: number }).run
      expect(reply.cookie).to.match(new RegExp(`^session=s-\\d+-${run};`))
    }
  })
})
