import { startRedisServer } from '../../tools/redis-server.js'

/** The Redis a benchmark run talks to. */
export interface BenchRedis {
  url: string
  stop(): Promise<void>
}

/** REDIS_URL when set, else a redis-server of our own on a free port (stopped by stop()). */
export async function benchRedis(): Promise<BenchRedis> {
  const external = process.env['REDIS_URL']
  if (external) return { url: external, stop: () => Promise.resolve() }
  const server = await startRedisServer()
  process.once('exit', () => server.child.kill('SIGKILL'))
  return { url: server.url, stop: () => server.stop() }
}
