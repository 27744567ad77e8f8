/**
 * Runs one README example (a module) to completion: importing it executes it; then whatever it
 * exports that holds resources (a cache, an HTTP server) is closed, and the process must exit
 * on its own, which proves the example leaves nothing running.
 */
import { pathToFileURL } from 'node:url'

interface Closable {
  close(callback?: (error?: Error) => void): unknown
}

const file = process.argv[2]
if (file === undefined) throw new Error('usage: run-example <file>')
const example = (await import(pathToFileURL(file).href)) as Record<string, unknown>
const server = example['server'] as Closable | undefined
if (server !== undefined) await new Promise((resolve) => server.close(resolve))
const cache = example['cache'] as { close(): Promise<void> } | undefined
await cache?.close()
console.log('example finished')
