// The selector index: for any event, its candidates include every selector whose filter matches
// (checked with the filter compiler), come in ascending order without repeats, and a selector
// pinned to other values of a field is left out, with numbers and numeric text keyed alike.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { NormalizedEvent } from "../model/Event.ts"
import type { Filter } from "../model/Filter.ts"
import { compileFilter } from "../model/FilterCompiler.ts"
import { TenantId } from "../model/Ids.ts"
import { SelectorIndex } from "./SelectorIndex.ts"

const tenant = TenantId.make("tenant-2")

const event = (fields: Partial<NormalizedEvent>): NormalizedEvent => ({
  ID: "00000000-0000-4000-8000-000000000001",
  Timestamp: 0,
  TenantID: tenant,
  Type: 1,
  ...fields
})

/** The candidates of one event (the buffer is read after collect: collect may replace it). */
const candidatesOf = (index: SelectorIndex, subject: NormalizedEvent): Array<number> => {
  const count = index.collect(subject)
  return [...index.candidates().subarray(0, count)]
}

// String fields, integer fields and a float field; constants include numeric text in several spellings.
const stringFields = ["SourceAddress", "DestinationUserName", "Code"] as const
const numberFields = ["DestinationPort", "Type", "BytesIn"] as const
const constant = fc.constantFrom<string | number>("a", "b", "22", " 22", "022", "22.0", "2.5", "abc", "", 22, 2.5, 1, 0)
const field = fc.constantFrom<string>(...stringFields, ...numberFields)

const condition: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ field, op: fc.constantFrom("=" as const, "!=" as const, ">=" as const), value: constant }),
  fc.record({ field, op: fc.constant("in" as const), values: fc.array(constant, { maxLength: 3 }) }),
  fc.record({ field, op: fc.constant("exists" as const) })
)
const filter: fc.Arbitrary<Filter> = fc.letrec<{ filter: Filter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    condition,
    fc.record({ and: fc.array(tie("filter"), { maxLength: 3 }) }),
    fc.record({ or: fc.array(tie("filter"), { maxLength: 2 }) }),
    fc.record({ not: tie("filter") })
  )
})).filter

const eventArbitrary: fc.Arbitrary<NormalizedEvent> = fc
  .record(
    {
      SourceAddress: fc.constantFrom("a", "b", "22", "022", ""),
      DestinationUserName: fc.constantFrom("a", "abc", " 22"),
      Code: fc.constantFrom("22", "2.5", "x"),
      DestinationPort: fc.constantFrom(22, 1, 0, 443),
      Type: fc.constantFrom(1 as const, 2 as const, 5 as const),
      BytesIn: fc.constantFrom(2.5, 22, 0, 1e21)
    },
    { requiredKeys: [] }
  )
  .map((fields) => event(fields as Partial<NormalizedEvent>))

describe("SelectorIndex", () => {
  it("candidates include every selector whose filter matches, ascending and without repeats", () => {
    fc.assert(
      fc.property(fc.array(filter, { maxLength: 30 }), fc.array(eventArbitrary, { minLength: 1, maxLength: 20 }), (filters, events) => {
        const index = new SelectorIndex(filters)
        const predicates = filters.map((each) => compileFilter(each))
        for (const subject of events) {
          const candidates = candidatesOf(index, subject)
          for (let i = 1; i < candidates.length; i++) expect(candidates[i]!).toBeGreaterThan(candidates[i - 1]!)
          const matching = predicates.flatMap((predicate, ordinal) => (predicate(subject) ? [ordinal] : []))
          for (const ordinal of matching) expect(candidates).toContain(ordinal)
          for (const ordinal of candidates) expect(ordinal).toBeLessThan(filters.length)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("leaves out a selector pinned to other values of a field, alone or inside a top-level and", () => {
    const index = new SelectorIndex([
      { field: "SourceAddress", op: "=", value: "a" },
      { and: [{ field: "DestinationUserName", op: "exists" }, { field: "SourceAddress", op: "in", values: ["b", "c"] }] },
      { field: "DestinationUserName", op: "!=", value: "x" }
    ])
    expect(candidatesOf(index, event({ SourceAddress: "a" }))).toEqual([0, 2])
    expect(candidatesOf(index, event({ SourceAddress: "c" }))).toEqual([1, 2])
    expect(candidatesOf(index, event({ SourceAddress: "z" }))).toEqual([2])
    expect(candidatesOf(index, event({}))).toEqual([2])
  })

  it("keys a numeric field by number, whether the constant is a number or numeric text", () => {
    const index = new SelectorIndex([
      { field: "DestinationPort", op: "=", value: 22 },
      { field: "DestinationPort", op: "=", value: "22" },
      { field: "DestinationPort", op: "in", values: ["022", " 22 ", 23] },
      { field: "DestinationPort", op: "=", value: "ssh" }
    ])
    expect(candidatesOf(index, event({ DestinationPort: 22 }))).toEqual([0, 1, 2])
    expect(candidatesOf(index, event({ DestinationPort: 23 }))).toEqual([2])
    // No port equals "ssh": that selector is never a candidate.
    expect(candidatesOf(index, event({}))).toEqual([])
  })

  it("keys a string field by text, whether the constant is text or a number", () => {
    const index = new SelectorIndex([
      { field: "Code", op: "=", value: 4625 },
      { field: "Code", op: "=", value: "4625" },
      { field: "Code", op: "in", values: [4625, "04625"] }
    ])
    expect(candidatesOf(index, event({ Code: "4625" }))).toEqual([0, 1, 2])
    expect(candidatesOf(index, event({ Code: "04625" }))).toEqual([2])
    expect(candidatesOf(index, event({ Code: "4625.0" }))).toEqual([])
  })

  it("merges candidates of several fields with the unindexed ones in ordinal order, past its first buffer", () => {
    const filters: Array<Filter> = Array.from({ length: 200 }, (_, ordinal) =>
      ordinal % 3 === 0 ? { field: "SourceAddress", op: "=", value: "a" } : ordinal % 3 === 1 ? { field: "DestinationPort", op: "in", values: [22] } : { field: "Message", op: "exists" }
    )
    const candidates = candidatesOf(new SelectorIndex(filters), event({ SourceAddress: "a", DestinationPort: 22 }))
    expect(candidates).toEqual(Array.from({ length: 200 }, (_, ordinal) => ordinal))
  })
})
