import type { Store } from '../store/store.js'
import { uniqueKeyPrefix } from './contract-kit.js'
import { STORE_DATA_CASES } from './store-data-cases.js'
import { STORE_SCRIPT_CASES } from './store-script-cases.js'

/** A store under test and how to dispose of it (close it, drop test data, stop a server…). */
export interface StoreUnderTest {
  /** The store the cases call. */
  readonly store: Store
  /** Called once after each case, whether it passed or failed. */
  dispose(): Promise<void>
}

/** One named case of the contract: `run` opens a store, checks one behaviour, disposes of it. */
export interface StoreContractCase {
  /** What the case checks, as a sentence (a test title). */
  readonly name: string
  /** Resolves when the store behaves; rejects with an `AssertionError` (node:assert) otherwise. */
  run(): Promise<void>
}

/** Options of {@link storeContract}. */
export interface StoreContractOptions {
  /**
   * Every key a case writes starts with `<keyPrefix>:<random>:`, so cases never see each other's
   * keys (or anything else on a shared server).
   *
   * @default 'herdlock-contract'
   */
  readonly keyPrefix?: string
}

/**
 * The `describe` and `it` of your test runner (mocha, node:test, vitest, jest: any whose `it`
 * awaits a returned promise).
 */
export interface ContractHooks {
  /** Groups the cases under a title. */
  describe(title: string, body: () => void): unknown
  /** Declares one case. */
  it(title: string, body: () => Promise<void>): unknown
}

/**
 * The Store contract as named cases, for any runner: each case opens a store with `open`, checks
 * one behaviour the cache relies on (binary-safe values, TTLs in ms, batched reads and writes,
 * SCAN, the entry scripts' fencing, tag sets, pub/sub, ping) and disposes of the store.
 */
export function storeContract(
  open: () => Promise<StoreUnderTest>,
  options: StoreContractOptions = {},
): StoreContractCase[] {
  const base = options.keyPrefix ?? 'herdlock-contract'
  return [...STORE_DATA_CASES, ...STORE_SCRIPT_CASES].map(([name, body]) => ({
    name,
    run: async () => {
      const subject = await open()
      try {
        await body(subject.store, uniqueKeyPrefix(base))
      } finally {
        await subject.dispose()
      }
    },
  }))
}

/**
 * Declares the Store contract with your runner's hooks: one `describe` titled
 * `Store contract: <name>` holding one `it` per case.
 */
export function defineStoreContract(
  hooks: ContractHooks,
  name: string,
  open: () => Promise<StoreUnderTest>,
  options: StoreContractOptions = {},
): void {
  hooks.describe(`Store contract: ${name}`, () => {
    for (const contractCase of storeContract(open, options)) {
      hooks.it(contractCase.name, () => contractCase.run())
    }
  })
}
