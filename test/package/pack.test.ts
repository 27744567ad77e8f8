/**
 * The package as a consumer gets it: `npm pack` the built library, install the tarball into a
 * scratch ESM project next to TypeScript, @types/node and Express 5, compile a small consumer
 * with `strict` and `skipLibCheck: false` (so every published declaration is type-checked), and
 * run it against the shared test Redis. Needs the npm registry (or a warm npm cache).
 */
import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sharedRedisUrl, uniquePrefix } from '../support/redis.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** What the consumer installs beside the tarball (the versions herdlock is developed against). */
const CONSUMER_DEPENDENCIES = [
  'typescript@~5.9.3',
  '@types/node@^20.19.43',
  'express@^5',
  '@types/express@^5',
]

const CONSUMER_PACKAGE = {
  name: 'herdlock-consumer',
  version: '0.0.0',
  private: true,
  type: 'module',
}

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    noEmitOnError: true,
    outDir: 'dist',
    rootDir: '.',
  },
  include: ['consumer.ts'],
}

/** A consumer as the README would have one write it. Prints one JSON line, then exits by itself. */
const CONSUMER_SOURCE = `
import type { AddressInfo } from 'node:net'
import express from 'express'
import {
  cacheRoute,
  createCache,
  statusRouter,
  type CacheFnResult,
  type StatusDocument,
} from 'herdlock'
import { cacheRoute as cacheRouteFromSubpath, type CacheRouteOptions } from 'herdlock/middleware'
import { MemoryStore } from 'herdlock'
import { defineStoreContract, storeContract, type Store } from 'herdlock/testing'

interface Prediction {
  readonly id: number
  readonly score: number
  readonly at: Date
}

const redis = process.env['HERDLOCK_REDIS_URL']
if (redis === undefined || redis === '') throw new Error('HERDLOCK_REDIS_URL is not set')

const cache = createCache({ redis, prefix: process.env['HERDLOCK_PREFIX'], defaultTtl: '1m' })
cache.on('error', ({ source, operation, error }) => {
  console.error(\`herdlock \${source} \${operation}: \${error.message}\`)
})
const { cacheFn } = cache

let computations = 0
const predict = async (id: number): Promise<Prediction> => {
  computations++
  return { id, score: id * 2, at: new Date(Date.UTC(2026, 10, 26)) }
}
const fnOptions = { ttl: '30s', namespace: 'predictions', staleWhileRevalidate: '10s' } as const

const first: Prediction = await cacheFn('prediction:7', () => predict(7), fnOptions)
const second: Prediction = await cacheFn('prediction:7', () => predict(7), fnOptions)
const detail: CacheFnResult<Prediction> = await cache.cacheFnResult(
  'prediction:7',
  () => predict(7),
  fnOptions,
)

let originRuns = 0
const routeOptions: CacheRouteOptions = { ttl: '30s', namespace: 'matches' }
const app = express()
app.get('/api/predictions/:id', cacheRoute(cache, routeOptions), async (req, res) => {
  originRuns++
  const id = Number(req.params.id)
  res.json(await cacheFn(\`prediction:\${id}\`, () => predict(id), fnOptions))
})
app.use('/cache/status', statusRouter(cache))

const server = app.listen(0, '127.0.0.1')
await new Promise<void>((resolve, reject) => {
  server.once('listening', resolve)
  server.once('error', reject)
})
const { port } = server.address() as AddressInfo

async function get(path: string) {
  const response = await fetch(\`http://127.0.0.1:\${port}\${path}\`, {
    headers: { accept: 'application/json' },
  })
  return {
    status: response.status,
    xCache: response.headers.get('x-cache'),
    age: response.headers.get('age'),
    contentType: response.headers.get('content-type'),
    body: await response.text(),
  }
}

const miss = await get('/api/predictions/7')
const hit = await get('/api/predictions/7')
const status = await get('/cache/status')
const health = await get('/cache/status/health')
const document = JSON.parse(status.body) as StatusDocument

await new Promise<void>((resolve, reject) => {
  server.close((error) => (error === undefined ? resolve() : reject(error)))
  server.closeAllConnections()
})
await cache.close()

// herdlock/testing: the Store contract under a runner of our own, then through runner hooks.
const openMemory = async () => {
  const store = new MemoryStore()
  return { store, dispose: () => store.close() }
}
const contractPassed: string[] = []
for (const contractCase of storeContract(openMemory)) {
  await contractCase.run()
  contractPassed.push(contractCase.name)
}
/** Drops the first byte of every single write: the contract must catch it. */
const lossy = (inner: Store): Store => ({
  kind: inner.kind,
  get: (key) => inner.get(key),
  getMany: (keys) => inner.getMany(keys),
  set: (key, value, ttlMs) => inner.set(key, value.subarray(1), ttlMs),
  setMany: (writes) => inner.setMany(writes),
  delete: (keys) => inner.delete(keys),
  scan: (pattern) => inner.scan(pattern),
  run: (calls) => inner.run(calls),
  publish: (channel, message) => inner.publish(channel, message),
  subscribe: (channel, listener) => inner.subscribe(channel, listener),
  ping: () => inner.ping(),
  status: () => inner.status(),
  close: () => inner.close(),
})
const lossyFailed: string[] = []
for (const contractCase of storeContract(async () => {
  const store = new MemoryStore()
  return { store: lossy(store), dispose: () => store.close() }
})) {
  await contractCase.run().catch((error: Error) => lossyFailed.push(\`\${contractCase.name}: \${error.name}\`))
}
const declared: string[] = []
const hookRuns: Promise<void>[] = []
defineStoreContract(
  {
    describe: (title, body) => {
      declared.push(title)
      body()
    },
    it: (title, body) => {
      declared.push(title)
      hookRuns.push(body())
    },
  },
  'memory',
  openMemory,
)
await Promise.all(hookRuns)

console.log(
  JSON.stringify({
    contract: { passed: contractPassed, lossyFailed, declared },
    computations,
    first: { score: first.score, atIsDate: first.at instanceof Date },
    second: { score: second.score, atIsDate: second.at instanceof Date },
    detail: { status: detail.status, degraded: detail.degraded },
    sameCacheRoute: cacheRouteFromSubpath === cacheRoute,
    miss: { status: miss.status, xCache: miss.xCache, body: miss.body },
    hit: { status: hit.status, xCache: hit.xCache, age: hit.age, body: hit.body },
    originRuns,
    statusPage: {
      status: status.status,
      contentType: status.contentType,
      document: document.status,
      hasHealth: typeof document.health === 'object',
      hasStats: typeof document.stats === 'object',
      hits: document.stats.hits,
    },
    health: health.status,
  }),
)
`

/** What the consumer prints. */
interface ConsumerResult {
  contract: { passed: string[]; lossyFailed: string[]; declared: string[] }
  computations: number
  first: { score: number; atIsDate: boolean }
  second: { score: number; atIsDate: boolean }
  detail: { status: string; degraded: boolean }
  sameCacheRoute: boolean
  miss: { status: number; xCache: string | null; body: string }
  hit: { status: number; xCache: string | null; age: string | null; body: string }
  originRuns: number
  statusPage: {
    status: number
    contentType: string | null
    document: string
    hasHealth: boolean
    hasStats: boolean
    hits: number
  }
  health: number
}

interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly timedOut: boolean
  readonly stdout: string
  readonly stderr: string
}

interface PackedFile {
  readonly path: string
}

const running = new Set<ChildProcess>()

/** Kill a child and everything it started (it leads its own process group). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/**
 * The environment of the child processes: this run's npm lifecycle variables (set when the tests
 * run under `npm test`) would point npm at this repository, and NODE_OPTIONS may load tsx.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    const lower = name.toLowerCase()
    if (
      lower.startsWith('npm_package_') ||
      lower.startsWith('npm_lifecycle_') ||
      ['npm_command', 'npm_config_local_prefix', 'npm_config_prefix', 'npm_config_global'].includes(
        lower,
      ) ||
      name === 'NODE_OPTIONS' ||
      name === 'INIT_CWD'
    ) {
      continue
    }
    env[name] = value
  }
  return { ...env, npm_config_update_notifier: 'false', ...extra }
}

/**
 * The npm that started the tests: under `npm test`, `node_modules/.bin` comes first on the PATH
 * and holds npm 6 (a dependency of http-cache-tests), which knows no `--pack-destination`.
 */
function npmCommand(args: readonly string[]): [string, readonly string[]] {
  const cli = process.env['npm_execpath']
  return cli !== undefined && /npm-cli\.[cm]?js$/.test(cli)
    ? [process.execPath, [cli, ...args]]
    : ['npm', args]
}

/** Run a command to completion (killing its process group after `timeoutMs`). */
function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: Record<string, string> },
): Promise<RunResult> {
  const [file, argv] = command === 'npm' ? npmCommand(args) : [command, args]
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: childEnv(options.env),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    running.add(child)
    let stdout = ''
    let stderr = ''
    let timedOut = false
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => {
      timedOut = true
      killGroup(child)
    }, options.timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      running.delete(child)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      resolve({ code, signal, timedOut, stdout, stderr })
    })
  })
}

/** Fail with the command's output unless it exited 0. */
function expectSuccess(result: RunResult, what: string): void {
  if (result.code === 0) return
  const how = result.timedOut
    ? 'timed out'
    : `exited with ${result.code ?? 'no code'}${result.signal === null ? '' : ` (${result.signal})`}`
  throw new Error(`${what} ${how}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`)
}

/** Every file under `dir`, as paths relative to it. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
}

describe('package: npm pack, install into a consumer, compile and run', function () {
  const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']
  let packDir: string
  let consumerDir: string
  let packed: readonly string[]
  let compiled = false

  before(async function () {
    this.timeout(300_000)
    packDir = mkdtempSync(join(tmpdir(), 'herdlock-pack-'))
    consumerDir = mkdtempSync(join(tmpdir(), 'herdlock-consumer-'))

    expectSuccess(
      await run('npm', ['run', 'build'], { cwd: ROOT, timeoutMs: 120_000 }),
      'npm run build',
    )
    // The build just ran; --ignore-scripts keeps prepack from building again.
    const pack = await run(
      'npm',
      ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir, ...NPM_FLAGS],
      { cwd: ROOT, timeoutMs: 60_000 },
    )
    expectSuccess(pack, 'npm pack')
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: PackedFile[] }[]
    packed = info!.files.map((file) => file.path).sort()
    const tarball = join(packDir, info!.filename)

    writeFileSync(join(consumerDir, 'package.json'), JSON.stringify(CONSUMER_PACKAGE, null, 2))
    writeFileSync(join(consumerDir, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2))
    writeFileSync(join(consumerDir, 'consumer.ts'), CONSUMER_SOURCE)
    expectSuccess(
      await run('npm', ['install', tarball, ...CONSUMER_DEPENDENCIES, ...NPM_FLAGS], {
        cwd: consumerDir,
        timeoutMs: 240_000,
      }),
      'npm install (consumer)',
    )
  })

  after(() => {
    for (const child of running) killGroup(child)
    for (const dir of [packDir, consumerDir]) {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    }
  })

  it('packs the built library, README, LICENSE and CHANGELOG, and nothing else', () => {
    const outside = packed.filter(
      (path) =>
        !/^dist\/(src|middleware)\/.+\.(js|d\.ts)$/.test(path) &&
        !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(path),
    )
    expect(outside, 'files outside dist/src, dist/middleware and the docs').to.deep.equal([])
    expect(packed).to.include.members([
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/middleware/index.js',
      'dist/middleware/index.d.ts',
      'dist/src/testing/index.js',
      'dist/src/testing/index.d.ts',
    ])
  })

  it('exports herdlock/testing, which imports only Node built-ins and herdlock itself', () => {
    const installed = join(consumerDir, 'node_modules', 'herdlock')
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>
    }
    expect(manifest.exports['./testing']).to.deep.equal({
      types: './dist/src/testing/index.d.ts',
      default: './dist/src/testing/index.js',
    })
    const specifiers = (path: string): string[] =>
      [...readFileSync(join(installed, path), 'utf8').matchAll(/from ['"]([^'"]+)['"]/g)].map(
        (match) => match[1]!,
      )
    const testing = listFiles(installed).filter((path) => /^dist\/src\/testing\/.+\.js$/.test(path))
    expect(testing).to.include('dist/src/testing/index.js')
    const foreign = testing.flatMap(specifiers).filter((s) => !/^(node:|\.)/.test(s))
    expect(foreign, 'no test runner or assertion library in herdlock/testing').to.deep.equal([])
    // The main entry does not load the contract (nor node:assert with it).
    const main = listFiles(installed).filter(
      (path) => path.endsWith('.js') && !path.startsWith('dist/src/testing/'),
    )
    const intoTesting = main.filter((path) =>
      specifiers(path).some((s) => /(^|\/)testing\//.test(s) || s === 'node:assert/strict'),
    )
    expect(intoTesting).to.deep.equal([])
  })

  it('publishes declarations that need neither redlock nor express types', () => {
    const installed = join(consumerDir, 'node_modules', 'herdlock')
    const declarations = listFiles(installed).filter((path) => path.endsWith('.d.ts'))
    expect(declarations).to.include('dist/src/index.d.ts')
    // Comments may show Express in examples; only code counts.
    const code = (path: string): string =>
      readFileSync(join(installed, path), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/(?!\/ *<reference).*$/gm, '')
    const offenders = declarations.filter((path) =>
      /from ['"](redlock|express)['"]|import\(['"](redlock|express)['"]\)|types=['"](redlock|express)['"]/.test(
        code(path),
      ),
    )
    expect(offenders).to.deep.equal([])
  })

  it('compiles a strict NodeNext consumer with skipLibCheck: false without errors', async function () {
    this.timeout(120_000)
    const tsc = join(consumerDir, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], {
      cwd: consumerDir,
      timeoutMs: 110_000,
    })
    expectSuccess(result, 'tsc (consumer)')
    expect(result.stdout).to.equal('')
    compiled = true
  })

  it('runs the consumer: the Store contract, cacheFn computes once, cacheRoute misses then hits, statusRouter answers', async function () {
    this.timeout(60_000)
    expect(compiled, 'the consumer compiled').to.equal(true)
    const result = await run(process.execPath, [join('dist', 'consumer.js')], {
      cwd: consumerDir,
      timeoutMs: 30_000,
      env: { HERDLOCK_REDIS_URL: sharedRedisUrl(), HERDLOCK_PREFIX: uniquePrefix('pack') },
    })
    expectSuccess(result, 'node dist/consumer.js')
    expect(result.stderr).to.equal('')
    const line = result.stdout.trim().split('\n').at(-1) ?? ''
    const out = JSON.parse(line) as ConsumerResult

    expect(out.contract.passed, 'the memory store passes the published Store contract')
      .to.have.length.of.at.least(12)
      .and.include('stores bytes exactly (binary safe)')
    expect(out.contract.lossyFailed, 'the contract catches a store that loses bytes').to.include(
      'stores bytes exactly (binary safe): AssertionError',
    )
    expect(out.contract.declared[0]).to.equal('Store contract: memory')
    expect(out.contract.declared.slice(1)).to.deep.equal(out.contract.passed)
    expect(out.computations, 'cacheFn ran the function once').to.equal(1)
    expect(out.first).to.deep.equal({ score: 14, atIsDate: true })
    expect(out.second).to.deep.equal({ score: 14, atIsDate: true })
    expect(out.detail).to.deep.equal({ status: 'hit', degraded: false })
    expect(out.sameCacheRoute, 'herdlock/middleware exports the same cacheRoute').to.equal(true)

    expect(out.miss.status).to.equal(200)
    expect(out.miss.xCache).to.equal('MISS')
    expect(out.hit.status).to.equal(200)
    expect(out.hit.xCache).to.equal('HIT')
    expect(out.hit.age).to.match(/^\d+$/)
    expect(out.hit.body).to.equal(out.miss.body)
    expect(JSON.parse(out.hit.body)).to.deep.equal({
      id: 7,
      score: 14,
      at: '2026-11-26T00:00:00.000Z',
    })
    expect(out.originRuns, 'the route handler ran once').to.equal(1)

    expect(out.statusPage.status).to.equal(200)
    expect(out.statusPage.contentType).to.match(/^application\/json/)
    expect(out.statusPage.document).to.equal('ok')
    expect(out.statusPage.hasHealth).to.equal(true)
    expect(out.statusPage.hasStats).to.equal(true)
    expect(out.statusPage.hits).to.be.greaterThan(0)
    expect(out.health).to.equal(200)
  })
})
