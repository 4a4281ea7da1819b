// The filter compiler against the filter language of SPEC §4: every operator, the boolean
// connectives, numeric versus string ordering, missing fields, and compile-time field checks.
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as fc from "fast-check"
import type { NormalizedEvent } from "./Event.ts"
import { Filter, MatchAll } from "./Filter.ts"
import { compileFilter, UnknownField } from "./FilterCompiler.ts"
import { TenantId } from "./Ids.ts"

const tenant = TenantId.make("tenant-1")

const makeEvent = (fields: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  ID: crypto.randomUUID(),
  Timestamp: 1_700_000_000_000,
  TenantID: tenant,
  Type: 1,
  ...fields
})

const matches = (filter: Filter, fields: Partial<NormalizedEvent>): boolean => compileFilter(filter)(makeEvent(fields))

describe("FilterCompiler comparisons", () => {
  it("= matches an equal string and rejects a different one", () => {
    const filter: Filter = { field: "Name", op: "=", value: "login failed" }
    expect(matches(filter, { Name: "login failed" })).toBe(true)
    expect(matches(filter, { Name: "login failed " })).toBe(false)
    expect(matches(filter, { Name: "Login failed" })).toBe(false)
  })

  it("= compares a numeric field numerically, also with a numeric string constant", () => {
    expect(matches({ field: "SourcePort", op: "=", value: 443 }, { SourcePort: 443 })).toBe(true)
    expect(matches({ field: "SourcePort", op: "=", value: "443" }, { SourcePort: 443 })).toBe(true)
    expect(matches({ field: "SourcePort", op: "=", value: 80 }, { SourcePort: 443 })).toBe(false)
    expect(matches({ field: "BytesIn", op: "=", value: "1.5" }, { BytesIn: 1.5 })).toBe(true)
  })

  it("= compares a string field with a number constant as text", () => {
    expect(matches({ field: "Code", op: "=", value: 4625 }, { Code: "4625" })).toBe(true)
    expect(matches({ field: "Code", op: "=", value: 4625 }, { Code: "04625" })).toBe(false)
  })

  it("!= is the negation of = for present fields", () => {
    const filter: Filter = { field: "Name", op: "!=", value: "a" }
    expect(matches(filter, { Name: "a" })).toBe(false)
    expect(matches(filter, { Name: "b" })).toBe(true)
    expect(matches({ field: "SourcePort", op: "!=", value: 22 }, { SourcePort: 22 })).toBe(false)
    expect(matches({ field: "SourcePort", op: "!=", value: 22 }, { SourcePort: 23 })).toBe(true)
  })

  it("< <= > >= order numeric fields by value, not by text", () => {
    const port = { SourcePort: 9 }
    expect(matches({ field: "SourcePort", op: "<", value: 10 }, port)).toBe(true)
    expect(matches({ field: "SourcePort", op: "<", value: 9 }, port)).toBe(false)
    expect(matches({ field: "SourcePort", op: "<=", value: 9 }, port)).toBe(true)
    expect(matches({ field: "SourcePort", op: "<=", value: 8 }, port)).toBe(false)
    expect(matches({ field: "SourcePort", op: ">", value: 8 }, port)).toBe(true)
    expect(matches({ field: "SourcePort", op: ">", value: 9 }, port)).toBe(false)
    expect(matches({ field: "SourcePort", op: ">=", value: 9 }, port)).toBe(true)
    expect(matches({ field: "SourcePort", op: ">=", value: 10 }, port)).toBe(false)
    // "10" as a constant is read as the number 10, so 9 < "10" although "9" > "10" as text.
    expect(matches({ field: "SourcePort", op: "<", value: "10" }, port)).toBe(true)
    expect(matches({ field: "BytesOut", op: ">", value: 0.5 }, { BytesOut: 0.75 })).toBe(true)
  })

  it("< <= > >= order string fields lexicographically, numbers included as text", () => {
    expect(matches({ field: "Name", op: "<", value: "b" }, { Name: "a" })).toBe(true)
    expect(matches({ field: "Name", op: ">", value: "b" }, { Name: "a" })).toBe(false)
    expect(matches({ field: "Name", op: "<=", value: "abc" }, { Name: "abc" })).toBe(true)
    expect(matches({ field: "Name", op: ">=", value: "abd" }, { Name: "abc" })).toBe(false)
    // A string field holding "10" sorts before the constant 9 ("1" < "9").
    expect(matches({ field: "Code", op: "<", value: 9 }, { Code: "10" })).toBe(true)
  })

  it("a numeric field compared with a non-numeric constant never orders and is never equal", () => {
    const event = { SourcePort: 22 }
    for (const op of ["=", "<", "<=", ">", ">="] as const) {
      expect(matches({ field: "SourcePort", op, value: "ssh" }, event)).toBe(false)
    }
    expect(matches({ field: "SourcePort", op: "!=", value: "ssh" }, event)).toBe(true)
  })

  it("contains, startsWith and endsWith test substrings of string fields", () => {
    const event = { RequestUrl: "https://example.org/login?next=/admin" }
    expect(matches({ field: "RequestUrl", op: "contains", value: "/login" }, event)).toBe(true)
    expect(matches({ field: "RequestUrl", op: "contains", value: "/logout" }, event)).toBe(false)
    expect(matches({ field: "RequestUrl", op: "startsWith", value: "https://" }, event)).toBe(true)
    expect(matches({ field: "RequestUrl", op: "startsWith", value: "example" }, event)).toBe(false)
    expect(matches({ field: "RequestUrl", op: "endsWith", value: "/admin" }, event)).toBe(true)
    expect(matches({ field: "RequestUrl", op: "endsWith", value: "login" }, event)).toBe(false)
    expect(matches({ field: "RequestUrl", op: "contains", value: "" }, event)).toBe(true)
  })

  it("contains, startsWith and endsWith are case-sensitive and false on numeric fields", () => {
    expect(matches({ field: "Name", op: "contains", value: "FAIL" }, { Name: "login failed" })).toBe(false)
    expect(matches({ field: "SourcePort", op: "contains", value: "4" }, { SourcePort: 443 })).toBe(false)
    expect(matches({ field: "SourcePort", op: "startsWith", value: 4 }, { SourcePort: 443 })).toBe(false)
    expect(matches({ field: "SourcePort", op: "endsWith", value: "3" }, { SourcePort: 443 })).toBe(false)
  })

  it("in matches when the value is one of the set, for strings and numbers", () => {
    expect(matches({ field: "DeviceAction", op: "in", values: ["deny", "drop"] }, { DeviceAction: "drop" })).toBe(true)
    expect(matches({ field: "DeviceAction", op: "in", values: ["deny", "drop"] }, { DeviceAction: "allow" })).toBe(false)
    expect(matches({ field: "DestinationPort", op: "in", values: [22, 3389] }, { DestinationPort: 3389 })).toBe(true)
    expect(matches({ field: "DestinationPort", op: "in", values: ["22", "3389"] }, { DestinationPort: 22 })).toBe(true)
    expect(matches({ field: "DestinationPort", op: "in", values: [22, 3389] }, { DestinationPort: 23 })).toBe(false)
    expect(matches({ field: "DeviceAction", op: "in", values: [] }, { DeviceAction: "drop" })).toBe(false)
  })

  it("exists is true for a present, non-empty value (0 included) and false for a missing or empty one", () => {
    expect(matches({ field: "SourceUserName", op: "exists" }, { SourceUserName: "alice" })).toBe(true)
    expect(matches({ field: "SourceUserName", op: "exists" }, { SourceUserName: "" })).toBe(false)
    expect(matches({ field: "SourceUserName", op: "exists" }, {})).toBe(false)
    expect(matches({ field: "SourcePort", op: "exists" }, { SourcePort: 0 })).toBe(true)
    expect(matches({ field: "TenantID", op: "exists" }, {})).toBe(true)
  })
})

describe("FilterCompiler missing fields", () => {
  it("a missing field satisfies no comparison, in or substring test, and is unequal to every constant", () => {
    const comparisons = ["=", "<", "<=", ">", ">=", "contains", "startsWith", "endsWith"] as const
    for (const op of comparisons) {
      expect(matches({ field: "SourceHostName", op, value: "host" }, {})).toBe(false)
      expect(matches({ field: "SourcePort", op, value: 1 }, {})).toBe(false)
    }
    expect(matches({ field: "SourceHostName", op: "in", values: ["host", ""] }, {})).toBe(false)
    expect(matches({ field: "SourceHostName", op: "!=", value: "host" }, {})).toBe(true)
    expect(matches({ not: { field: "SourceHostName", op: "=", value: "host" } }, {})).toBe(true)
  })
})

describe("FilterCompiler connectives", () => {
  const failed: Filter = { field: "EventOutcome", op: "=", value: "failure" }
  const ssh: Filter = { field: "DestinationPort", op: "=", value: 22 }

  it("and needs every part, or needs one part, not inverts", () => {
    const both: Filter = { and: [failed, ssh] }
    const either: Filter = { or: [failed, ssh] }
    const cases: Array<[Partial<NormalizedEvent>, boolean, boolean]> = [
      [{ EventOutcome: "failure", DestinationPort: 22 }, true, true],
      [{ EventOutcome: "failure", DestinationPort: 80 }, false, true],
      [{ EventOutcome: "success", DestinationPort: 22 }, false, true],
      [{ EventOutcome: "success", DestinationPort: 80 }, false, false]
    ]
    for (const [fields, andResult, orResult] of cases) {
      expect(matches(both, fields)).toBe(andResult)
      expect(matches(either, fields)).toBe(orResult)
      expect(matches({ not: both }, fields)).toBe(!andResult)
      expect(matches({ not: { not: either } }, fields)).toBe(orResult)
    }
  })

  it("an empty and matches everything (MatchAll) and an empty or matches nothing", () => {
    expect(matches({ and: [] }, {})).toBe(true)
    expect(matches(MatchAll, { Name: "anything" })).toBe(true)
    expect(matches({ or: [] }, {})).toBe(false)
    expect(matches({ not: { or: [] } }, {})).toBe(true)
  })

  it("nests and/or/not to any depth", () => {
    const filter: Filter = {
      and: [
        { or: [failed, { field: "Name", op: "startsWith", value: "auth" }] },
        { not: { field: "SourceAddress", op: "in", values: ["10.0.0.1", "10.0.0.2"] } }
      ]
    }
    expect(matches(filter, { Name: "auth denied", SourceAddress: "10.0.0.9" })).toBe(true)
    expect(matches(filter, { Name: "auth denied", SourceAddress: "10.0.0.2" })).toBe(false)
    expect(matches(filter, { EventOutcome: "failure" })).toBe(true)
    expect(matches(filter, { Name: "other" })).toBe(false)
  })

  it("compiles a filter decoded from its JSON schema", () => {
    const decoded = Schema.decodeUnknownSync(Filter)({
      or: [{ field: "Severity", op: "in", values: ["high", "critical"] }, { not: { field: "Message", op: "exists" } }]
    })
    const predicate = compileFilter(decoded)
    expect(predicate(makeEvent({ Severity: "high", Message: "x" }))).toBe(true)
    expect(predicate(makeEvent({ Severity: "low", Message: "x" }))).toBe(false)
    expect(predicate(makeEvent({ Severity: "low" }))).toBe(true)
  })
})

describe("FilterCompiler unknown fields", () => {
  const compileError = (filter: Filter): unknown => {
    try {
      compileFilter(filter)
    } catch (error) {
      return error
    }
    return undefined
  }

  it("throws UnknownField at compile time, naming the field", () => {
    const error = compileError({ field: "SrcAddr", op: "=", value: "x" })
    expect(error).toBeInstanceOf(UnknownField)
    expect((error as UnknownField)._tag).toBe("UnknownField")
    expect((error as UnknownField).field).toBe("SrcAddr")
    expect((error as UnknownField).message).toContain("SrcAddr")
  })

  it("throws UnknownField for every operator kind and deep inside and/or/not", () => {
    expect(compileError({ field: "Nope", op: "exists" })).toBeInstanceOf(UnknownField)
    expect(compileError({ field: "Nope", op: "in", values: [1] })).toBeInstanceOf(UnknownField)
    // An earlier branch that would short-circuit at run time does not hide the bad field.
    expect(compileError({ or: [MatchAll, { and: [{ not: { field: "Nope", op: "contains", value: "a" } }] }] })).toBeInstanceOf(UnknownField)
  })

  it("rejects field names that only exist on Object.prototype or differ in case", () => {
    for (const field of ["constructor", "toString", "__proto__", "hasOwnProperty", "name", "sourceAddress", "Extra.user"]) {
      const error = compileError({ field, op: "exists" })
      expect(error, field).toBeInstanceOf(UnknownField)
    }
  })
})

// A small, obviously correct evaluator: the filter language written out case by case.
const numeral = /^-?\d+(\.\d+)?$/

const orderOf = (actual: unknown, constant: string | number): number | undefined => {
  if (typeof actual === "number") {
    const other = typeof constant === "number" ? constant : numeral.test(constant) ? Number(constant) : undefined
    if (other === undefined) return undefined
    return actual === other ? 0 : actual < other ? -1 : 1
  }
  if (typeof actual === "string") {
    const other = String(constant)
    return actual === other ? 0 : actual < other ? -1 : 1
  }
  return undefined
}

const referenceEvaluate = (filter: Filter, event: NormalizedEvent): boolean => {
  if ("and" in filter) return filter.and.every((part) => referenceEvaluate(part, event))
  if ("or" in filter) return filter.or.some((part) => referenceEvaluate(part, event))
  if ("not" in filter) return !referenceEvaluate(filter.not, event)
  const actual = (event as Record<string, unknown>)[filter.field]
  switch (filter.op) {
    case "exists":
      return actual !== undefined && actual !== ""
    case "in":
      return filter.values.some((value) => orderOf(actual, value) === 0)
    case "=":
      return orderOf(actual, filter.value) === 0
    case "!=":
      return orderOf(actual, filter.value) !== 0
    case "<":
      return orderOf(actual, filter.value) === -1
    case "<=":
      return orderOf(actual, filter.value) === -1 || orderOf(actual, filter.value) === 0
    case ">":
      return orderOf(actual, filter.value) === 1
    case ">=":
      return orderOf(actual, filter.value) === 1 || orderOf(actual, filter.value) === 0
    case "contains":
      return typeof actual === "string" && actual.includes(String(filter.value))
    case "startsWith":
      return typeof actual === "string" && actual.startsWith(String(filter.value))
    case "endsWith":
      return typeof actual === "string" && actual.endsWith(String(filter.value))
  }
}

const stringFields = ["Name", "Message"] as const
const numberFields = ["SourcePort", "BytesIn"] as const
const fieldArbitrary = fc.constantFrom<string>(...stringFields, ...numberFields)
const constantArbitrary = fc.oneof(
  fc.constantFrom<string | number>("a", "ab", "b", "ba", "10", "9", "x10", "1.5"),
  fc.constantFrom<string | number>(0, 1, 9, 10, 80, 1.5)
)
const leafArbitrary: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({
    field: fieldArbitrary,
    op: fc.constantFrom("=", "!=", "<", "<=", ">", ">=", "contains", "startsWith", "endsWith"),
    value: constantArbitrary
  }),
  fc.record({ field: fieldArbitrary, op: fc.constant("in" as const), values: fc.array(constantArbitrary, { maxLength: 3 }) }),
  fc.record({ field: fieldArbitrary, op: fc.constant("exists" as const) })
)
const { filter: filterArbitrary } = fc.letrec<{ filter: Filter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArbitrary,
    fc.array(tie("filter"), { maxLength: 3 }).map((and): Filter => ({ and })),
    fc.array(tie("filter"), { maxLength: 3 }).map((or): Filter => ({ or })),
    tie("filter").map((not): Filter => ({ not }))
  )
}))
const eventArbitrary = fc
  .record(
    {
      Name: fc.constantFrom("", "a", "ab", "b", "ba", "10", "9"),
      Message: fc.constantFrom("", "a", "ab", "x10", "1.5"),
      SourcePort: fc.constantFrom(0, 1, 9, 10, 80),
      BytesIn: fc.constantFrom(0, 1.5, 9, 10)
    },
    { requiredKeys: [] }
  )
  .map((fields) => makeEvent(fields as Partial<NormalizedEvent>))

describe("FilterCompiler property", () => {
  it("agrees with the reference evaluator on random filters and events", () => {
    fc.assert(
      fc.property(filterArbitrary, fc.array(eventArbitrary, { minLength: 1, maxLength: 8 }), (filter, events) => {
        const predicate = compileFilter(filter)
        for (const event of events) expect(predicate(event)).toBe(referenceEvaluate(filter, event))
      }),
      { numRuns: 500 }
    )
  })
})

describe("FilterCompiler regressions", () => {
  it("an empty or blank constant is not the number 0", () => {
    expect(matches({ field: "SourcePort", op: "=", value: "" }, { SourcePort: 0 })).toBe(false)
    expect(matches({ field: "SourcePort", op: "=", value: " " }, { SourcePort: 0 })).toBe(false)
    expect(matches({ field: "SourcePort", op: "!=", value: "" }, { SourcePort: 0 })).toBe(true)
  })

  it("in compares numbers as numbers, like =", () => {
    expect(matches({ field: "SourcePort", op: "=", value: "080" }, { SourcePort: 80 })).toBe(true)
    expect(matches({ field: "SourcePort", op: "in", values: ["080", "443"] }, { SourcePort: 80 })).toBe(true)
    expect(matches({ field: "SourcePort", op: "in", values: ["", "x"] }, { SourcePort: 0 })).toBe(false)
    expect(matches({ field: "SourceAddress", op: "in", values: ["10.0.0.1"] }, { SourceAddress: "10.0.0.1" })).toBe(true)
  })
})
