import { defineStoreContract, type StoreUnderTest } from '../../src/testing/index.js'

export type { StoreUnderTest }

/**
 * The Store contract under mocha: the cases `herdlock/testing` publishes for custom stores, the
 * same ones the memory and Redis stores pass.
 */
export function describeStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  defineStoreContract({ describe, it }, name, open)
}
