/**
 * Redis Cluster's key slot: CRC16 (XMODEM) of the key, or of its hash tag (the part between the
 * first `{` and the next `}`, when not empty), modulo 16384. Used to tell which master holds a
 * key, so failures are counted per master (the store's breakers).
 */

/** How many slots a Redis Cluster has. */
export const SLOT_COUNT = 16_384
const OPEN = 0x7b // '{'
const CLOSE = 0x7d // '}'

const TABLE = (() => {
  const table = new Uint16Array(256)
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1
    table[byte] = crc & 0xffff
  }
  return table
})()

/** The cluster slot of `key` (0-16383). */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key, 'utf8')
  const open = bytes.indexOf(OPEN)
  if (open !== -1) {
    const close = bytes.indexOf(CLOSE, open + 1)
    if (close > open + 1) bytes = bytes.subarray(open + 1, close)
  }
  let crc = 0
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!
  return crc % SLOT_COUNT
}
