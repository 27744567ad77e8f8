import { expect } from 'chai'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sharedRedisUrl } from '../support/redis.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const outDir = join(root, 'test-output', 'readme-examples')
const runner = join(root, 'test', 'docs', 'run-example.ts')

/** The ```ts blocks of the README, with `from 'herdlock'` (and its subpaths) pointed at the sources. */
function examples(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  const source = (path: string): string => relative(outDir, join(root, path)).replaceAll('\\', '/')
  return blocks.map((code) =>
    code
      .replaceAll(`from 'herdlock'`, `from '${source('src/index.js')}'`)
      .replaceAll(`from 'herdlock/testing'`, `from '${source('src/testing/index.js')}'`),
  )
}

function run(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', runner, file], {
      cwd: root,
      env: { ...process.env, REDIS_URL: sharedRedisUrl() },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('README examples', function () {
  this.timeout(120_000)
  const files: string[] = []

  before(() => {
    rmSync(outDir, { recursive: true, force: true })
    mkdirSync(outDir, { recursive: true })
    examples().forEach((code, i) => {
      const file = join(outDir, `example-${i + 1}.ts`)
      writeFileSync(file, code)
      files.push(file)
    })
    writeFileSync(
      join(outDir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true, rootDir: '../..' },
        include: ['*.ts', '../../types'],
      }),
    )
  })

  it('has examples to check', () => {
    expect(files.length).to.be.at.least(8)
  })

  it('type-checks every example', () => {
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', outDir],
      {
        encoding: 'utf8',
      },
    )
    expect(tsc.stdout + tsc.stderr).to.equal('')
    expect(tsc.status).to.equal(0)
  })

  it('runs every example to completion, leaving nothing running', async () => {
    for (const file of files) {
      const result = await run(file)
      expect(result.stderr, `${relative(root, file)} stderr`).to.equal('')
      expect(result.code, `${relative(root, file)} exit code`).to.equal(0)
      expect(result.stdout).to.include('example finished')
    }
  })
})
