// Name-based UUIDs (RFC 9562 version 5): the same inputs always give the same ID, which makes
// a re-emitted correlation event after replay or handoff a no-op downstream.
import { createHash } from "node:crypto"

const CorvusNamespace = "corvus.correlation.v1"

/** A version-5 UUID derived from the parts, in order. */
export const deterministicId = (parts: ReadonlyArray<string | number>): string => {
  const hash = createHash("sha1").update(CorvusNamespace)
  for (const part of parts) hash.update("\u0000").update(String(part))
  const bytes = hash.digest()
  bytes[6] = (bytes[6]! & 0x0f) | 0x50
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString("hex", 0, 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}
