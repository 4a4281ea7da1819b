// Name-based UUIDs (RFC 9562 version 5): the same inputs always give the same ID, which makes
// a re-emitted correlation event after replay or handoff a no-op downstream.
import * as crypto from "node:crypto"

const CorvusNamespace = "corvus.correlation.v1"

// One-shot hashing (Node >= 20.12) skips the Hash object; engines still allows 20.11.
const sha1Hex: (input: string) => string =
  typeof crypto.hash === "function" ? (input) => crypto.hash("sha1", input, "hex") : (input) => crypto.createHash("sha1").update(input).digest("hex")

/** By a hex digit's char code: the variant digit (10xx) that keeps its two low bits. */
const VariantDigit: Array<string> = []
for (const digit of "0123456789abcdef") VariantDigit[digit.charCodeAt(0)] = "89ab"[parseInt(digit, 16) & 3]!

/** A version-5 UUID derived from the parts, in order. */
export const deterministicId = (parts: ReadonlyArray<string | number>): string => {
  // Same bytes as hashing piece by piece: a NUL sits at every join, so no surrogate pair forms
  // across one and lone surrogates still encode as U+FFFD.
  let input = CorvusNamespace
  for (let i = 0; i < parts.length; i++) input += "\u0000" + String(parts[i])
  const hex = sha1Hex(input)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${VariantDigit[hex.charCodeAt(16)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
