import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * How a benchmark parent starts, questions and stops its child processes (the HTTP benchmark's
 * servers and load generator, the stampede benchmark's workers): each speaks over IPC in messages
 * with a `type`, and ends itself when sent `{ type: 'exit' }`.
 */

/**
 * Start a benchmark process with an IPC channel: through tsx when this file runs as TypeScript,
 * with plain node when it runs compiled (then the sibling .js file is started).
 */
export function startChild(script: string, args: readonly string[]): ChildProcess {
  const typescript = import.meta.url.endsWith('.ts')
  const file = fileURLToPath(new URL(`./${script}.${typescript ? 'ts' : 'js'}`, import.meta.url))
  const flags = typescript ? ['--import', 'tsx', '--no-deprecation'] : ['--no-deprecation']
  const child = spawn(process.execPath, [...flags, file, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  return child
}

// Children still running when this process exits are killed: one exit listener for them all.
const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** The next message of `type` from a child; rejects when it exits first or takes too long. */
export function nextMessage<M extends { readonly type: string }, K extends M['type']>(
  child: ChildProcess,
  type: K,
  timeoutMs: number,
): Promise<Extract<M, { type: K }>> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const onMessage = (message: M): void => {
      if (message.type !== type) return
      cleanup()
      resolve(message as Extract<M, { type: K }>)
    }
    const onExit = (code: number | null): void => {
      cleanup()
      reject(new Error(`bench process ${child.pid} exited (${code}) before "${type}"`))
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`bench process ${child.pid}: no "${type}" within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

/**
 * Ask a child to exit; it must end by itself, with code 0, within 10 s or it is killed. Resolves
 * whether it did.
 */
export async function stopChild(child: ChildProcess, name: string): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode === 0
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  if (child.connected) child.send({ type: 'exit' })
  let clean = true
  const timer = setTimeout(() => {
    clean = false
    console.error(`bench: ${name} (pid ${child.pid}) did not exit by itself: killed`)
    child.kill('SIGKILL')
  }, 10_000)
  await exited
  clearTimeout(timer)
  if (child.exitCode !== 0) console.error(`bench: ${name} exited with code ${child.exitCode}`)
  return clean && child.exitCode === 0
}
