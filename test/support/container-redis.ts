import type * as TC from 'testcontainers'
import { freePort } from './local-redis.js'
import type { RedisNode } from './redis-node.js'

/**
 * A Redis server in a container (testcontainers), used where a container runtime exists. The
 * host port is fixed at creation so that a restart comes back on the same address; stop, start,
 * pause and unpause go through the runtime (docker pause freezes the process like SIGSTOP).
 * Not exercised on machines without a container runtime.
 */
type Testcontainers = typeof TC
type StartedContainer = Awaited<
  ReturnType<InstanceType<Testcontainers['GenericContainer']>['start']>
>

const image = process.env['REDIS_IMAGE'] ?? 'redis:7-alpine'
const started = new Set<StartedContainer>()

/** Stop and remove every container this process started. */
export async function stopAllContainers(): Promise<void> {
  await Promise.all([...started].map((c) => c.stop().catch(() => undefined)))
  started.clear()
}

export class ContainerRedis implements RedisNode {
  readonly url: string
  readonly #container: StartedContainer
  readonly #tc: Testcontainers
  #running = true

  private constructor(tc: Testcontainers, container: StartedContainer, port: number) {
    this.#tc = tc
    this.#container = container
    this.url = `redis://${container.getHost()}:${port}`
  }

  static async start(): Promise<ContainerRedis> {
    const tc = await import('testcontainers')
    const port = await freePort()
    const container = await new tc.GenericContainer(image)
      .withExposedPorts({ container: 6379, host: port })
      .withCommand(['redis-server', '--save', '', '--appendonly', 'no'])
      .withWaitStrategy(tc.Wait.forLogMessage('Ready to accept connections'))
      .start()
    started.add(container)
    return new ContainerRedis(tc, container, port)
  }

  get running(): boolean {
    return this.#running
  }

  async stop(): Promise<void> {
    await (await this.#docker()).kill()
    this.#running = false
  }

  async restart(): Promise<void> {
    await (await this.#docker()).start()
    this.#running = true
  }

  async pause(): Promise<void> {
    await (await this.#docker()).pause()
  }

  async resume(): Promise<void> {
    await (await this.#docker()).unpause()
  }

  async #docker() {
    const client = await this.#tc.getContainerRuntimeClient()
    return client.container.getById(this.#container.getId())
  }
}
