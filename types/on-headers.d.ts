// on-headers (a dev dependency of the adversarial suite) ships no typings: the one function the
// tests call, as its README documents it.
declare module 'on-headers' {
  import type { ServerResponse } from 'node:http'

  /** Run `listener` once, just before `res` writes its headers (at writeHead). */
  export default function onHeaders(
    res: ServerResponse,
    listener: (this: ServerResponse) => void,
  ): void
}
