import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/**
 * A Chromium for browser tests, found without anything outside the npm registry: the system's
 * Chromium when it is installed, else the one shipped inside the `@sparticuz/chromium` package
 * (brotli archives of a headless Chromium, its NSS libraries and a font, unpacked once per
 * version under the OS temporary directory).
 *
 * `HERDLOCK_TEST_CHROMIUM` chooses: `system` (fail unless the system's exists), `npm` (always the
 * packaged one, e.g. to prove a machine without Chromium works), or a path to a binary.
 */
export interface TestChromium {
  /** What to pass as playwright's `executablePath`. */
  readonly executablePath: string
  /** Environment for the browser process (library and font paths of the packaged one). */
  readonly env: Record<string, string>
  /** Where it came from, for messages. */
  readonly source: 'system' | 'npm' | 'env'
}

const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser']
const PACKAGE = '@sparticuz/chromium'

/** Finds (and, for the packaged one, unpacks) the Chromium the tests drive. */
export async function findChromium(): Promise<TestChromium> {
  const choice = process.env['HERDLOCK_TEST_CHROMIUM'] ?? 'auto'
  const system = SYSTEM_PATHS.find((path) => existsSync(path))
  const inherited = processEnv()
  if (choice === 'system' || (choice === 'auto' && system !== undefined)) {
    if (system === undefined)
      throw new Error(`HERDLOCK_TEST_CHROMIUM=system: no ${SYSTEM_PATHS[0]}`)
    return { executablePath: system, env: inherited, source: 'system' }
  }
  if (choice !== 'auto' && choice !== 'npm') {
    if (!existsSync(choice)) throw new Error(`HERDLOCK_TEST_CHROMIUM=${choice}: no such file`)
    return { executablePath: choice, env: inherited, source: 'env' }
  }
  const dir = await unpackOnce()
  const libraries = join(dir, 'al2023', 'lib')
  const ldPath = inherited['LD_LIBRARY_PATH']
  return {
    executablePath: join(dir, 'chromium'),
    env: {
      ...inherited,
      LD_LIBRARY_PATH: ldPath === undefined ? libraries : `${libraries}:${ldPath}`,
      FONTCONFIG_PATH: join(dir, 'fonts'),
    },
    source: 'npm',
  }
}

function processEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined) env[name] = value
  return env
}

/**
 * Unpacks the packaged Chromium into `<tmp>/herdlock-chromium-<version>` unless a complete copy
 * is there. It unpacks into a private staging directory renamed into place at the end, so
 * concurrent test runs never see (or launch) a half-written binary: the loser of the rename
 * drops its copy and uses the winner's.
 */
async function unpackOnce(): Promise<string> {
  const version = packageVersion()
  const target = join(tmpdir(), `herdlock-chromium-${version}`)
  if (existsSync(join(target, 'chromium'))) return target
  const staging = mkdtempSync(join(tmpdir(), `herdlock-chromium-${version}.staging-`))
  try {
    await unpackInto(staging)
    // The package's fonts.conf names /tmp/fonts; ours names where the font really is.
    writeFileSync(join(staging, 'fonts', 'fonts.conf'), fontsConf(target))
    try {
      renameSync(staging, target)
    } catch (error) {
      if (!existsSync(join(target, 'chromium'))) throw error
    }
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
  return target
}

/**
 * The package unpacks into `os.tmpdir()` and adds its NSS libraries (`al2023.tar.br`) only
 * where it detects an Amazon Linux runtime; both are read from the environment at call time, so
 * the call runs with TMPDIR pointing at the staging directory and that detection switched on.
 * A machine without libnss3 (a slim Debian image) then still runs the browser.
 */
async function unpackInto(staging: string): Promise<void> {
  const { default: Chromium } = await import('@sparticuz/chromium')
  const saved = { TMPDIR: process.env['TMPDIR'], AWS: process.env['AWS_EXECUTION_ENV'] }
  process.env['TMPDIR'] = staging
  process.env['AWS_EXECUTION_ENV'] = 'AWS_Lambda_nodejs20.x'
  try {
    await Chromium.executablePath()
  } finally {
    restore('TMPDIR', saved.TMPDIR)
    restore('AWS_EXECUTION_ENV', saved.AWS)
  }
  for (const part of ['chromium', 'fonts', join('al2023', 'lib', 'libnss3.so')]) {
    if (!existsSync(join(staging, part))) throw new Error(`${PACKAGE} did not unpack ${part}`)
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

/** The package exports no package.json; its manifest sits two folders above its entry. */
function packageVersion(): string {
  const entry = createRequire(import.meta.url).resolve(PACKAGE)
  const manifest = join(dirname(entry), '..', '..', 'package.json')
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
}

function fontsConf(dir: string): string {
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>${join(dir, 'fonts', 'fonts')}</dir>
  <dir>/usr/share/fonts</dir>
  <cachedir>${join(dir, 'fonts-cache')}</cachedir>
</fontconfig>
`
}
