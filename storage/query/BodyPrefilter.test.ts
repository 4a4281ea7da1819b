// The body prefilter never rejects a stored event that the filter accepts, and does reject the
// obvious non-matches it exists for.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { NormalizedEvent } from "../../model/Event.ts"
import type { Filter } from "../../model/Filter.ts"
import { compileFilter } from "../../model/FilterCompiler.ts"
import { makeEvent } from "../../test/support/makeEvent.ts"
import { bodyPrefilter } from "./BodyPrefilter.ts"

const constants = fc.constantFrom<string | number>("a", "ab", "", "22", "080", "x\"y", "é", "😀", 0, 22, 225, 1.5, -3, 1e21)
const fields = fc.constantFrom("Name", "Message", "SourcePort", "BytesIn", "Type", "Extra.agent", "BaseEventIDs")
const leaf: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ field: fields, op: fc.constantFrom("=", "!=", "<", "contains"), value: constants }),
  fc.record({ field: fields, op: fc.constant("in" as const), values: fc.array(constants, { maxLength: 3 }) })
)
const filterArbitrary: fc.Arbitrary<Filter> = fc.oneof(
  leaf,
  fc.array(leaf, { maxLength: 4 }).map((and): Filter => ({ and })),
  fc.array(leaf, { maxLength: 3 }).map((or): Filter => ({ or }))
)
const eventArbitrary = fc
  .record(
    {
      Name: fc.constantFrom("a", "ab", "", "22", "x\"y", "é"),
      Message: fc.constantFrom("\"Name\":\"a\"", "😀", "SourcePort:22"),
      SourcePort: fc.constantFrom(0, 22, 225),
      BytesIn: fc.constantFrom(1.5, -3, 1e21, 0),
      Extra: fc.record({ agent: fc.constantFrom("a", "22"), Name: fc.constant("ab") }, { requiredKeys: [] }),
      BaseEventIDs: fc.subarray(["a", "22"])
    },
    { requiredKeys: [] }
  )
  .map((fields) => makeEvent(fields as Partial<NormalizedEvent>))

describe("bodyPrefilter", () => {
  it("passes every stored body whose event the filter matches", () => {
    fc.assert(
      fc.property(filterArbitrary, fc.array(eventArbitrary, { minLength: 1, maxLength: 6 }), (filter, events) => {
        const prefilter = bodyPrefilter(filter)
        if (prefilter === undefined) return
        const matches = compileFilter(filter)
        for (const event of events) if (matches(event)) expect(prefilter(JSON.stringify(event))).toBe(true)
      }),
      { numRuns: 3000 }
    )
  })

  it("rejects bodies without the required field value, including numbers that only start alike", () => {
    const failure = bodyPrefilter({ and: [{ field: "EventOutcome", op: "=", value: "failure" }, { field: "DestinationPort", op: "in", values: [22, "443"] }] })!
    expect(failure(JSON.stringify(makeEvent({ EventOutcome: "failure", DestinationPort: 22 })))).toBe(true)
    expect(failure(JSON.stringify(makeEvent({ EventOutcome: "failure", DestinationPort: 443 })))).toBe(true)
    expect(failure(JSON.stringify(makeEvent({ EventOutcome: "failure", DestinationPort: 225 })))).toBe(false)
    expect(failure(JSON.stringify(makeEvent({ EventOutcome: "success", DestinationPort: 22 })))).toBe(false)
    expect(bodyPrefilter({ or: [{ field: "Name", op: "=", value: "a" }] })).toBeUndefined()
    expect(bodyPrefilter({ field: "Name", op: "!=", value: "a" })).toBeUndefined()
  })
})
