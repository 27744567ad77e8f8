// http-cache-tests (the cache-tests.fyi suite, a dev dependency used by `npm run conformance`)
// ships plain .mjs modules without typings. These ambient declarations describe the parts the
// conformance runner (bench/conformance) uses, as read from version 0.4.5.

declare module 'http-cache-tests/tests/index.mjs' {
  import type { CacheTestSuite } from 'http-cache-tests'
  const suites: CacheTestSuite[]
  export default suites
}

declare module 'http-cache-tests/tests/surrogate-control.mjs' {
  import type { CacheTestSuite } from 'http-cache-tests'
  const suite: CacheTestSuite
  export default suite
}

declare module 'http-cache-tests/results/index.mjs' {
  /** One published result file: which cache, what kind, which version. */
  export interface PublishedResultIndexEntry {
    file: string
    name: string
    type: 'browser' | 'rev-proxy' | 'cdn'
    version: string
    link?: string
  }
  const index: PublishedResultIndexEntry[]
  export default index
}

declare module 'http-cache-tests/client/config.mjs' {
  export function setFetch(call: unknown): void
  export function setUseBrowserCache(bool: boolean): void
  export function setBaseUrl(url: string): void
}

declare module 'http-cache-tests/client/test.mjs' {
  import type { CacheTest, RawResult } from 'http-cache-tests'
  /** Results by test id (module-level state of the suite's client). */
  export const testResults: Record<string, RawResult>
  export const testUUIDs: Record<string, string>
  export function makeCacheTest(test: CacheTest): Promise<void>
}

declare module 'http-cache-tests/server/handle-config.mjs' {
  import type { IncomingMessage, ServerResponse } from 'node:http'
  export default function handleConfig(
    pathSegs: string[],
    request: IncomingMessage,
    response: ServerResponse,
  ): void
}

declare module 'http-cache-tests/server/handle-test.mjs' {
  import type { IncomingMessage, ServerResponse } from 'node:http'
  export default function handleTest(
    pathSegs: string[],
    request: IncomingMessage,
    response: ServerResponse,
  ): void
}

declare module 'http-cache-tests/server/handle-state.mjs' {
  import type { IncomingMessage, ServerResponse } from 'node:http'
  export default function handleState(
    pathSegs: string[],
    request: IncomingMessage,
    response: ServerResponse,
  ): void
}

declare module 'http-cache-tests/server/utils.mjs' {
  /** Test configurations the origin holds, by test uuid. */
  export const configs: Map<string, unknown>
  /** Requests the origin saw, by test uuid. */
  export const stash: Map<string, unknown>
}

declare module 'http-cache-tests' {
  /** One test of the suite (only the fields the runner reads are typed). */
  export interface CacheTest {
    id: string
    name: string
    kind?: 'required' | 'optimal' | 'check'
    depends_on?: string[]
    browser_only?: boolean
    browser_skip?: boolean
    requests: unknown[]
    dump?: boolean
  }
  /** A group of tests. */
  export interface CacheTestSuite {
    id: string
    name: string
    description?: string
    tests: CacheTest[]
  }
  /** `true`, or `[error name, message]` ('Assertion', 'Setup', ...). */
  export type RawResult = true | [string, string]
}
