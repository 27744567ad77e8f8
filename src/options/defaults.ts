/** The cache's defaults, in one frozen place (`cacheFn` and route defaults live beside them). */
export const DEFAULTS = Object.freeze({
  /** Default of the `prefix` option. */
  prefix: 'herdlock',
  /** Default of the `defaultTtl` option. */
  defaultTtl: '5m',
  /** Default of the `namespace` option. */
  namespace: 'default',
  /** Default of the `commandTimeout` option. */
  commandTimeout: '500ms',
  /** Default of `memory.maxBytes` (64 MiB). */
  memoryMaxBytes: 64 * 1024 * 1024,
  /** Default of `breaker.threshold`. */
  breakerThreshold: 3,
  /** Default of `breaker.cooldown`. */
  breakerCooldown: '500ms',
  /** Default of the `throwOnStoreError` option. */
  throwOnStoreError: false,
  /** Default of `l1.maxBytes` (16 MiB). */
  l1MaxBytes: 16 * 1024 * 1024,
  /** Default of `l1.maxTtl`. */
  l1MaxTtl: '30s',
  /** Default of `stats.maxNamespaces`. */
  statsMaxNamespaces: 100,
  /** Default of `health.interval`. */
  healthInterval: '2s',
  /** Default of `health.timeout`. */
  healthTimeout: '1s',
} as const)
