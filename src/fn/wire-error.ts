import type { WireError } from '../bus/bus.js'
import { RemoteFunctionError } from '../errors.js'

/** The error as it travels to other instances (name, message and code only). */
export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) }
  const code = (error as { code?: unknown }).code
  return typeof code === 'string'
    ? { name: error.name, message: error.message, code }
    : { name: error.name, message: error.message }
}

/** Rebuild another instance's failure: same name, message and code. */
export function fromWire(wire: WireError): RemoteFunctionError {
  return new RemoteFunctionError(wire.name, wire.message, wire.code)
}
