import type { ServerResponse } from 'node:http'

const BODY = Buffer.from('Gateway Timeout: only-if-cached, and no stored response may answer\n')

/**
 * The answer to `only-if-cached` when no stored response may be used (RFC 9111 5.2.1.7): a 504
 * from the cache itself, never stored by anyone (the lookup that found nothing counted the
 * miss). The handler never runs.
 */
export function gatewayTimeout(res: ServerResponse): void {
  res.writeHead(504, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(BODY.length),
    'cache-control': 'no-store',
    'x-cache': 'MISS',
    'cache-status': 'herdlock; detail=only-if-cached',
  })
  res.end(BODY)
}
