// Deterministic IDs never change: values pinned from the original (streaming createHash)
// implementation, and random parts against that implementation kept below as the reference.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { createHash } from "node:crypto"
import { deterministicId } from "./DeterministicId.ts"

const referenceId = (parts: ReadonlyArray<string | number>): string => {
  const hash = createHash("sha1").update("corvus.correlation.v1")
  for (const part of parts) hash.update("\u0000").update(String(part))
  const bytes = hash.digest()
  bytes[6] = (bytes[6]! & 0x0f) | 0x50
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString("hex", 0, 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}

const pinned: ReadonlyArray<readonly [ReadonlyArray<string | number>, string]> = [
  [[], "5a130c0e-b4ee-5a95-9672-5a75aa238fd0"],
  [[""], "15d72c19-c9a7-5ea4-af04-95ecd8431e71"],
  [["c", "r", "g", 1], "b216c9fc-a2f2-50bd-ae7a-af5a6d8dd02a"],
  [["ab", "c"], "ee0a6cbc-0dff-560a-bbd8-0c8b2ca410bb"],
  [["a", "bc"], "87830043-f1de-5671-b47c-3d0d3cb6756d"],
  [["corr-1", "rule-7", "onFirstThreshold", 0, "10.0.0.1\u001fadmin", 1700000000000, 3, 1], "d0675656-21d0-59c7-8eff-b94bb6319a2c"],
  [["ünïcødé", "日本語", "😀", -0, 1.5, -42, 1e21], "4996ccde-bd1f-5a2b-b52a-9504f8796f51"],
  [["lone\ud800", "\udc00low", "\ud83d"], "306820fb-6bd4-544d-9e7c-4214a7776d6a"]
]

describe("deterministicId", () => {
  it("gives the pinned IDs", () => {
    for (const [parts, id] of pinned) expect(deterministicId(parts)).toBe(id)
  })

  it("matches the reference for any parts, lone surrogates and odd numbers included", () => {
    const surrogateHeavy = fc.string({ unit: fc.constantFrom("a", "\u0000", "\ud800", "\udbff", "\udc00", "\udfff", "é", "😀"), maxLength: 8 })
    const part = fc.oneof(fc.string(), fc.string({ unit: "binary" }), surrogateHeavy, fc.double(), fc.integer(), fc.constantFrom(-0, NaN, Infinity, 2 ** 53, 1e-7))
    fc.assert(
      fc.property(fc.array(part, { maxLength: 10 }), (parts) => {
        expect(deterministicId(parts)).toBe(referenceId(parts))
      }),
      { numRuns: 3_000 }
    )
  })
})
