import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Results one worker reports for a run. */
export interface WorkerReport {
  results: (
    | { ok: true; value: { pid: number; run: number }; ms: number }
    | { ok: false; error: { name: string; message: string; code?: string }; ms: number }
  )[]
  events: Record<string, number>
}

/** Settings shared by the workers of one test. */
export interface WorkerConfig {
  redis: string
  lockNodes: string[]
  prefix: string
  lockTtl: number
  waitTimeout: number
  commandTimeout: number
}

const workerFile = fileURLToPath(new URL('./fn-worker.ts', import.meta.url))

/** A fleet of service instances, each a separate Node process with its own cache. */
export class Workers {
  readonly processes: ChildProcess[] = []
  readonly #fnStarts: ((child: ChildProcess) => void)[] = []

  static async start(count: number, config: WorkerConfig): Promise<Workers> {
    const fleet = new Workers()
    try {
      await Promise.all(Array.from({ length: count }, () => fleet.#spawn(config)))
    } catch (error) {
      fleet.kill()
      throw error
    }
    return fleet
  }

  /** Call back whenever any worker's function starts running. */
  onFnStart(listener: (child: ChildProcess) => void): void {
    this.#fnStarts.push(listener)
  }

  /** Tell the given workers to fire `calls` concurrent cacheFn calls; resolve with their reports. */
  run(
    key: string,
    options: { calls: number; fnMs: number; fail?: boolean },
    targets: ChildProcess[] = this.processes,
  ): Promise<WorkerReport>[] {
    return targets.map(
      (child) =>
        new Promise<WorkerReport>((resolve, reject) => {
          const onMessage = (message: { type: string } & WorkerReport): void => {
            if (message.type !== 'done') return
            child.off('message', onMessage)
            child.off('exit', onExit)
            resolve(message)
          }
          const onExit = (): void =>
            reject(new Error(`worker ${child.pid} exited before reporting`))
          child.on('message', onMessage)
          child.once('exit', onExit)
          child.send({
            type: 'run',
            key,
            calls: options.calls,
            fnMs: options.fnMs,
            fail: options.fail ?? false,
          })
        }),
    )
  }

  /** Ask every live worker to close its cache and exit; kill what does not. */
  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
            child.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            child.kill('SIGCONT') // a paused worker must wake up to exit
            if (!child.connected) return void child.kill('SIGKILL')
            // A worker may die between the check and the send: then SIGKILL (exit still fires).
            child.send({ type: 'exit' }, (error) => error && child.kill('SIGKILL'))
          }),
      ),
    )
  }

  /** Kill every worker at once (cleanup after a failure). */
  kill(): void {
    for (const child of this.processes) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT')
        child.kill('SIGKILL')
      }
    }
  }

  #spawn(config: WorkerConfig): Promise<void> {
    const child = fork(workerFile, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, HERDLOCK_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.processes.push(child)
    child.on('message', (message: { type: string }) => {
      if (message.type === 'fn-start') for (const listener of this.#fnStarts) listener(child)
    })
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void =>
        reject(new Error(`worker exited during start (${code})`))
      child.once('exit', onExit)
      child.on('message', (message: { type: string }) => {
        if (message.type !== 'ready') return
        child.off('exit', onExit)
        resolve()
      })
    })
  }
}
