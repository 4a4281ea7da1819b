// Event IDs as words against the original (character-loop) implementation kept below as the
// reference: same words and same upper-case flag for any text, same text read back.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { readIdWords, writeIdWords } from "./EventIdWords.ts"

const referenceHexValue = (code: number): number => (code <= 57 ? code - 48 : (code | 32) - 87)

const referenceWrite = (id: string, words: Uint32Array, offset: number): boolean => {
  let upper = false
  let word = 0
  let nibbles = 0
  let index = offset
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i)
    if (code === 45) continue
    if (code >= 65 && code <= 70) upper = true
    word = ((word << 4) | referenceHexValue(code)) >>> 0
    if (++nibbles === 8) {
      words[index++] = word
      word = 0
      nibbles = 0
    }
  }
  return upper
}

const referenceHex8 = (word: number): string => word.toString(16).padStart(8, "0")

const referenceRead = (words: Uint32Array, offset: number, upper = false): string => {
  const a = referenceHex8(words[offset]!)
  const b = referenceHex8(words[offset + 1]!)
  const c = referenceHex8(words[offset + 2]!)
  const d = referenceHex8(words[offset + 3]!)
  const id = `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`
  return upper ? id.toUpperCase() : id
}

/** Both implementations write `id` into words prefilled alike; everything they touch must match. */
const expectSameWrite = (id: string, offset: number): void => {
  const expected = new Uint32Array(24).fill(0xdeadbeef)
  const actual = new Uint32Array(24).fill(0xdeadbeef)
  const expectedUpper = referenceWrite(id, expected, offset)
  expect(writeIdWords(id, actual, offset)).toBe(expectedUpper)
  expect([...actual]).toEqual([...expected])
}

const anyCaseUuid = fc
  .tuple(fc.uuid(), fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }))
  .map(([id, upper]) => [...id].map((char, i) => (upper[i] ? char.toUpperCase() : char.toLowerCase())).join(""))

const hexDigits = [..."0123456789abcdefABCDEF"]
// Near misses of hex: neighbours in ASCII, and non-ASCII chars whose low 7 bits are hex digits.
const nonHex = ["g", "G", "/", ":", "@", "`", "-", " ", "\u0000", "\u0130", "\u00e1", "\u0146", "\u00b0", "\uff10", "\ud83d"]
const nearHex = [...hexDigits, ...nonHex]

/** Dashes where a canonical UUID has them, mostly hex digits elsewhere with now and then a near miss. */
const canonicalShape = fc
  .array(fc.oneof({ weight: 40, arbitrary: fc.constantFrom(...hexDigits) }, { weight: 1, arbitrary: fc.constantFrom(...nonHex) }), { minLength: 32, maxLength: 32 })
  .map((chars) => {
    const digits = chars.join("")
    return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`
  })

describe("EventIdWords", () => {
  it("any UUID in lower, upper or mixed case writes the reference's words and flag", () => {
    fc.assert(fc.property(anyCaseUuid, fc.nat({ max: 20 }), expectSameWrite), { numRuns: 2_000 })
  })

  it("canonical-looking text with non-hex chars falls back to the reference's result", () => {
    fc.assert(fc.property(canonicalShape, fc.nat({ max: 20 }), expectSameWrite), { numRuns: 2_000 })
  })

  it("arbitrary text writes what the reference writes", () => {
    const text = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: "binary", maxLength: 40 }), fc.string({ unit: fc.constantFrom(...nearHex), minLength: 30, maxLength: 40 }))
    fc.assert(fc.property(text, fc.nat({ max: 12 }), expectSameWrite), { numRuns: 2_000 })
  })

  it("single wrong chars in a canonical UUID (each position, each near miss) match the reference", () => {
    const id = "0123abcd-ef45-6789-ABCD-ef0123456789"
    for (let at = 0; at < id.length; at++) for (const char of nonHex) expectSameWrite(id.slice(0, at) + char + id.slice(at + 1), 0)
  })

  it("reads back what the reference reads, lower and upper case", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 4, maxLength: 12 }), fc.boolean(), (values, upper) => {
        const words = Uint32Array.from(values)
        for (let offset = 0; offset + 4 <= words.length; offset++) expect(readIdWords(words, offset, upper)).toBe(referenceRead(words, offset, upper))
      }),
      { numRuns: 1_000 }
    )
  })

  it("a UUID in any case round-trips: read back in its case when all upper, lower-cased otherwise", () => {
    fc.assert(
      fc.property(anyCaseUuid, (id) => {
        const words = new Uint32Array(4)
        const upper = writeIdWords(id, words, 0)
        expect(readIdWords(words, 0, upper)).toBe(upper ? id.toUpperCase() : id.toLowerCase())
      }),
      { numRuns: 1_000 }
    )
  })
})
