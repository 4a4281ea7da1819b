// Event IDs (UUIDs) as four 32-bit words, so buckets keep base event IDs in typed arrays
// (16 bytes each) instead of retaining strings. Written for every event, read on every firing.
import { Buffer } from "node:buffer"

/** By char code: the hex digit's value, plus 16 for upper-case A-F; -1 for anything else. */
const Nibble = new Int8Array(128).fill(-1)
for (let code = 48; code <= 57; code++) Nibble[code] = code - 48
for (let code = 97; code <= 102; code++) Nibble[code] = code - 87
for (let code = 65; code <= 70; code++) Nibble[code] = code - 55 + 16

/** By byte: the char codes of its two hex digits, at 2 * byte and 2 * byte + 1. */
const hexCodes = (digits: string): Uint8Array => {
  const codes = new Uint8Array(512)
  for (let byte = 0; byte < 256; byte++) {
    codes[2 * byte] = digits.charCodeAt(byte >>> 4)
    codes[2 * byte + 1] = digits.charCodeAt(byte & 15)
  }
  return codes
}
const LowerHex = hexCodes("0123456789abcdef")
const UpperHex = hexCodes("0123456789ABCDEF")

const hexValue = (code: number): number => (code <= 57 ? code - 48 : (code | 32) - 87)

/** Any text: reads each char but a dash as a hex digit, 8 to a word (the general form). */
const writeAnyIdWords = (id: string, words: Uint32Array, offset: number): boolean => {
  let upper = false
  let word = 0
  let nibbles = 0
  let index = offset
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i)
    if (code === 45) continue
    if (code >= 65 && code <= 70) upper = true
    word = ((word << 4) | hexValue(code)) >>> 0
    if (++nibbles === 8) {
      words[index++] = word
      word = 0
      nibbles = 0
    }
  }
  return upper
}

// OR of the Nibble entries (and of non-ASCII code bits) seen by hex4 since the last reset:
// a module variable rather than a return value keeps hex4 returning a plain small integer.
let seen = 0

/** Four hex digits at `at` as 16 bits; an invalid or non-ASCII char shows in `seen` above bit 4. */
const hex4 = (id: string, at: number): number => {
  const a = id.charCodeAt(at)
  const b = id.charCodeAt(at + 1)
  const c = id.charCodeAt(at + 2)
  const d = id.charCodeAt(at + 3)
  const va = Nibble[a & 127]!
  const vb = Nibble[b & 127]!
  const vc = Nibble[c & 127]!
  const vd = Nibble[d & 127]!
  seen |= va | vb | vc | vd | ((a | b | c | d) & 0xff80)
  return ((va & 15) << 12) | ((vb & 15) << 8) | ((vc & 15) << 4) | (vd & 15)
}

/** Writes the UUID's 128 bits into `words` at `offset` (4 words); true when it had upper-case hex. */
export const writeIdWords = (id: string, words: Uint32Array, offset: number): boolean => {
  // The canonical form (8-4-4-4-12) is all real IDs: fixed positions, no branch per char.
  if (id.length === 36 && id.charCodeAt(8) === 45 && id.charCodeAt(13) === 45 && id.charCodeAt(18) === 45 && id.charCodeAt(23) === 45) {
    seen = 0
    const w0 = (hex4(id, 0) << 16) | hex4(id, 4)
    const w1 = (hex4(id, 9) << 16) | hex4(id, 14)
    const w2 = (hex4(id, 19) << 16) | hex4(id, 24)
    const w3 = (hex4(id, 28) << 16) | hex4(id, 32)
    if ((seen & ~31) === 0) {
      words[offset] = w0
      words[offset + 1] = w1
      words[offset + 2] = w2
      words[offset + 3] = w3
      return (seen & 16) !== 0
    }
  }
  return writeAnyIdWords(id, words, offset)
}

// One reused buffer, dashes preset: decoding 36 bytes gives a flat string, cheaper than concatenation.
const text = Buffer.alloc(36, "-")

const putByte = (hex: Uint8Array, at: number, byte: number): void => {
  text[at] = hex[2 * byte]!
  text[at + 1] = hex[2 * byte + 1]!
}

/** Where each of the 16 bytes goes in the 36-character text (the dashes stay in place). */
const TextPositions = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]

/** Reads the UUID stored at `offset` back as text, upper-case when it was written so. */
export const readIdWords = (words: Uint32Array, offset: number, upper = false): string => {
  const hex = upper ? UpperHex : LowerHex
  for (let i = 0; i < 16; i++) putByte(hex, TextPositions[i]!, (words[offset + (i >>> 2)]! >>> (24 - 8 * (i & 3))) & 255)
  return text.toString("latin1", 0, 36)
}
