import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { KeyIndex, type KeyValue } from "./KeyIndex.ts"

const value = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 200 }), fc.double(), fc.integer())
const keyText = (values: ReadonlyArray<KeyValue>) => JSON.stringify(values.map((v) => (typeof v === "number" ? ["n", Object.is(v, -0) ? 0 : Number.isNaN(v) ? "NaN" : v] : ["s", v])))

describe("KeyIndex", () => {
  it("finds, files and removes keys exactly as a Map of their values would, through growth and compaction", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ remove: fc.boolean(), values: fc.tuple(value, value) }), { maxLength: 300 }), (operations) => {
        const index = new KeyIndex(2)
        const reference = new Map<string, number>()
        const free: Array<number> = []
        let next = 0
        for (const { remove, values } of operations) {
          const slot = index.find(values, index.hash(values))
          const expected = reference.get(keyText(values))
          expect(slot).toBe(expected ?? -1)
          if (slot >= 0 && remove) {
            index.remove(slot)
            reference.delete(keyText(values))
            free.push(slot)
            expect(index.holds(slot)).toBe(false)
          } else if (slot < 0) {
            const fresh = free.pop() ?? next++
            index.insert(fresh, values, index.hash(values))
            reference.set(keyText(values), fresh)
            expect(index.holds(fresh)).toBe(true)
            const back = [index.valueOf(fresh, 0), index.valueOf(fresh, 1)]
            expect(keyText(back)).toBe(keyText(values))
          }
        }
      }),
      { numRuns: 300 }
    )
  })

  it("keeps values of any length and any characters, and reads them back unchanged", () => {
    const index = new KeyIndex(3)
    const long = "x".repeat(300_000) + "\u00ff"
    const wide = "\u0101\u{1f600}".repeat(5_000)
    const values = [long, wide, -1.5]
    index.insert(0, values, index.hash(values))
    expect(index.find(values, index.hash(values))).toBe(0)
    expect(index.valueOf(0, 0)).toBe(long)
    expect(index.valueOf(0, 1)).toBe(wide)
    expect(index.valueOf(0, 2)).toBe(-1.5)
    const other = [long, wide.slice(1), -1.5]
    expect(index.find(other, index.hash(other))).toBe(-1)
  })

  it("groups -0 with 0 and NaN with NaN, as their text does", () => {
    const index = new KeyIndex(1)
    index.insert(0, [0], index.hash([0]))
    index.insert(1, [Number.NaN], index.hash([Number.NaN]))
    expect(index.find([-0], index.hash([-0]))).toBe(0)
    expect(index.find([Number.NaN], index.hash([Number.NaN]))).toBe(1)
    expect(index.find(["0"], index.hash(["0"]))).toBe(-1)
  })

  it("reclaims the arena of removed keys instead of growing without end", () => {
    const index = new KeyIndex(1)
    for (let round = 0; round < 50; round++) {
      for (let slot = 0; slot < 1_000; slot++) {
        const values = [`key-${round}-${slot}`]
        index.insert(slot, values, index.hash(values))
      }
      for (let slot = 0; slot < 1_000; slot++) index.remove(slot)
    }
    expect(index.byteSize).toBeLessThan(200_000)
  })
})
