import { connect } from 'node:net'

/** Whether a Redis answers PING at `url` within `timeoutMs` (no client library, no side effects). */
export function redisAnswers(url: string, timeoutMs = 300): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) =>
      done(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH')),
    )
  })
}

/** The Redis the demo should use: REDIS_URL, else a local Redis when one answers, else none. */
export async function pickRedis(): Promise<{ url: string | undefined; label: string }> {
  const fromEnv = process.env['REDIS_URL']
  if (fromEnv) return { url: fromEnv, label: `Redis at REDIS_URL (${hostOf(fromEnv)})` }
  const local = 'redis://127.0.0.1:6379'
  if (await redisAnswers(local)) return { url: local, label: 'Redis at 127.0.0.1:6379' }
  return {
    url: undefined,
    label: 'the built-in memory store (no Redis answered at 127.0.0.1:6379)',
  }
}

/** The host of a Redis URL, for the banner (never the credentials it may hold). */
function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    throw new Error('REDIS_URL is not a valid URL (expected redis://host:port)')
  }
}
