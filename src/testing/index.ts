/**
 * Contract tests for a custom {@link Store}: the cases the built-in memory and Redis stores pass,
 * runnable under any test runner (they throw `node:assert` errors; no test library is bundled).
 *
 * @example
 * ```ts
 * import { describe, it } from 'node:test'
 * import { defineStoreContract } from 'herdlock/testing'
 *
 * defineStoreContract({ describe, it }, 'my store', async () => {
 *   const store = await MyStore.connect(process.env.REDIS_URL)
 *   return { store, dispose: () => store.close() }
 * })
 * ```
 *
 * @module
 */
export type { Store } from '../store/store.js'
export {
  defineStoreContract,
  storeContract,
  type ContractHooks,
  type StoreContractCase,
  type StoreContractOptions,
  type StoreUnderTest,
} from './store-contract.js'
