import express from 'express'
import express4 from 'express4'
import type { Express } from 'express'

/** The Express versions every HTTP test runs against. */
export const EXPRESS_VERSIONS: readonly { name: string; create: () => Express }[] = [
  { name: 'Express 5', create: () => express() },
  { name: 'Express 4', create: () => express4() },
]
