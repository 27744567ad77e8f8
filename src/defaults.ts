/** The cache's defaults, in one frozen place (`cacheFn` and route defaults live beside them). */
export const DEFAULTS = Object.freeze({
  prefix: 'herdlock',
  defaultTtl: '5m',
  namespace: 'default',
  commandTimeout: '500ms',
  memoryMaxBytes: 64 * 1024 * 1024,
  breakerThreshold: 3,
  breakerCooldown: '500ms',
  throwOnStoreError: false,
  l1MaxBytes: 16 * 1024 * 1024,
  l1MaxTtl: '30s',
  statsMaxNamespaces: 100,
  healthInterval: '2s',
  healthTimeout: '1s',
} as const)
