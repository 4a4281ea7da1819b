// The snapshot byte format: any sequence of uint32, float64 and UTF-8 strings reads back exactly,
// and a truncated input fails with SnapshotCorrupt instead of returning garbage.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { ByteReader, ByteWriter, SnapshotCorrupt } from "./Bytes.ts"

type Item = { readonly kind: "u32"; readonly value: number } | { readonly kind: "f64"; readonly value: number } | { readonly kind: "string"; readonly value: string }

const item: fc.Arbitrary<Item> = fc.oneof(
  fc.record({ kind: fc.constant("u32" as const), value: fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.nat()) }),
  fc.record({ kind: fc.constant("f64" as const), value: fc.oneof(fc.double(), fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_SAFE_INTEGER)) }),
  fc.record({ kind: fc.constant("string" as const), value: fc.oneof(fc.string({ unit: "grapheme" }), fc.constantFrom("", "\u0000", "\u001f", "é€😀")) })
)

const write = (items: ReadonlyArray<Item>): Uint8Array => {
  const writer = new ByteWriter()
  for (const each of items) {
    if (each.kind === "u32") writer.u32(each.value)
    else if (each.kind === "f64") writer.f64(each.value)
    else writer.string(each.value)
  }
  return writer.result()
}

const read = (bytes: Uint8Array, items: ReadonlyArray<Item>): Array<Item> => {
  const reader = new ByteReader(bytes)
  const out = items.map((each): Item => (each.kind === "u32" ? { kind: "u32", value: reader.u32() } : each.kind === "f64" ? { kind: "f64", value: reader.f64() } : { kind: "string", value: reader.string() }))
  expect(reader.done).toBe(true)
  return out
}

describe("Bytes", () => {
  it("reads back what was written, exactly (NaN, -0 and infinities included)", () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 60 }), (items) => {
        const back = read(write(items), items)
        back.forEach((each, i) => expect(Object.is(each.value, items[i]!.value), `item ${i}`).toBe(true))
      }),
      { numRuns: 500 }
    )
  })

  it("fails every truncation with SnapshotCorrupt", () => {
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 20 }), fc.nat(), (items, cut) => {
        const bytes = write(items)
        const length = cut % bytes.length
        expect(() => read(bytes.subarray(0, length), items)).toThrow(SnapshotCorrupt)
      }),
      { numRuns: 500 }
    )
  })

  it("reads from a view into a larger buffer and grows past its first 4 KiB", () => {
    const big = "x".repeat(10_000)
    const bytes = write([{ kind: "string", value: big }, { kind: "u32", value: 7 }])
    const framed = new Uint8Array(bytes.length + 8)
    framed.set(bytes, 4)
    const reader = new ByteReader(framed.subarray(4, 4 + bytes.length))
    expect(reader.string()).toBe(big)
    expect(reader.u32()).toBe(7)
    expect(reader.done).toBe(true)
  })

  it("a string length pointing past the end is SnapshotCorrupt, and so is reading past the end", () => {
    const writer = new ByteWriter()
    writer.u32(1_000)
    const reader = new ByteReader(writer.result())
    expect(() => reader.string()).toThrow(SnapshotCorrupt)
    expect(() => new ByteReader(new Uint8Array(3)).u32()).toThrow(SnapshotCorrupt)
    expect(() => new ByteReader(new Uint8Array(7)).f64()).toThrow(SnapshotCorrupt)
    expect(new ByteReader(new Uint8Array(0)).done).toBe(true)
  })
})
