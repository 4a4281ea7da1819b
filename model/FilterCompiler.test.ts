// The filter compiler against the filter language of SPEC §4: every operator, the boolean
// connectives, numeric versus string ordering, missing fields, Extra entries, variables, list
// fields, RE2 match, inSubnet, inActiveList, and compile-time errors with their paths.
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as fc from "fast-check"
import { BlockList, isIP } from "node:net"
import type { NormalizedEvent } from "./Event.ts"
import { Filter, MatchAll, type Condition } from "./Filter.ts"
import { compileFilter, InvalidFilter, UnknownField, type ActiveListLookup, type FilterCompileOptions } from "./FilterCompiler.ts"
import { makeEvent } from "../test/support/makeEvent.ts"


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
    for (const field of ["constructor", "toString", "__proto__", "hasOwnProperty", "name", "sourceAddress", "Extra.", "extra.user"]) {
      const error = compileError({ field, op: "exists" })
      expect(error, field).toBeInstanceOf(UnknownField)
    }
  })
})

describe("FilterCompiler compile errors", () => {
  const compileError = (filter: Filter, options?: FilterCompileOptions): unknown => {
    try {
      compileFilter(filter, options)
    } catch (error) {
      return error
    }
    return undefined
  }

  it("names the path of a bad field inside and/or/not", () => {
    const error = compileError({ and: [MatchAll, { or: [MatchAll, { not: { field: "Nope", op: "exists" } }] }] })
    expect(error).toBeInstanceOf(UnknownField)
    expect(error).toMatchObject({ _tag: "UnknownField", field: "Nope", path: "and[1].or[1].not.field" })
  })

  it("an unknown variable, in a field or a value position, is an InvalidFilter at that position", () => {
    expect(compileError({ and: [MatchAll, { field: "$score", op: ">", value: 5 }] })).toMatchObject({
      _tag: "InvalidFilter",
      path: "and[1].field",
      reason: "unknown variable $score"
    })
    const inValue = compileError({ field: "Name", op: "=", value: { variable: "user" } }, { variables: new Map([["other", () => 1]]) })
    expect(inValue).toBeInstanceOf(InvalidFilter)
    expect(inValue).toMatchObject({ path: "value", reason: "unknown variable $user" })
    expect(compileError({ field: "$not-a-name", op: "exists" })).toMatchObject({ _tag: "InvalidFilter", path: "field" })
  })

  it("an unknown operator from untyped input is an InvalidFilter, not a crash at run time", () => {
    const bogus = JSON.parse('{"field":"Name","op":"like","value":"x"}') as Filter
    expect(compileError(bogus)).toMatchObject({ _tag: "InvalidFilter", path: "op" })
  })

  it("the message carries the path so callers can show it as is", () => {
    const error = compileError({ or: [{ field: "Message", op: "match", pattern: "(" }] }) as InvalidFilter
    expect(error.message).toBe(`or[0].pattern: ${error.reason}`)
  })
})

describe("FilterCompiler Extra entries", () => {
  it("Extra.key reads the entry of the Extra map, as text", () => {
    const filter: Filter = { field: "Extra.agent", op: "=", value: "x" }
    expect(matches(filter, { Extra: { agent: "x" } })).toBe(true)
    expect(matches(filter, { Extra: { agent: "y" } })).toBe(false)
    expect(matches({ field: "Extra.agent", op: "startsWith", value: "Mozilla" }, { Extra: { agent: "Mozilla/5.0" } })).toBe(true)
    // Extra values are strings, so a number constant compares as text: "10" < "9".
    expect(matches({ field: "Extra.count", op: "<", value: 9 }, { Extra: { count: "10" } })).toBe(true)
    expect(matches({ field: "Extra.count", op: "=", value: 10 }, { Extra: { count: "10" } })).toBe(true)
  })

  it("a missing entry or a missing map behaves like a missing field", () => {
    for (const fields of [{}, { Extra: {} }, { Extra: { other: "x" } }]) {
      expect(matches({ field: "Extra.agent", op: "=", value: "x" }, fields)).toBe(false)
      expect(matches({ field: "Extra.agent", op: "!=", value: "x" }, fields)).toBe(true)
      expect(matches({ field: "Extra.agent", op: "exists" }, fields)).toBe(false)
    }
  })

  it("keys that Object.prototype has are not entries", () => {
    for (const key of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(matches({ field: `Extra.${key}`, op: "exists" }, { Extra: {} }), key).toBe(false)
    }
    const parsed = JSON.parse('{"__proto__":"own"}') as Record<string, string>
    expect(matches({ field: "Extra.__proto__", op: "=", value: "own" }, { Extra: parsed })).toBe(true)
  })

  it("keys may hold dots and any other character", () => {
    expect(matches({ field: "Extra.http.user-agent", op: "exists" }, { Extra: { "http.user-agent": "curl" } })).toBe(true)
  })

  it("the Extra map itself only exists (non-empty) and compares with nothing", () => {
    expect(matches({ field: "Extra", op: "exists" }, { Extra: { a: "1" } })).toBe(true)
    expect(matches({ field: "Extra", op: "exists" }, { Extra: {} })).toBe(false)
    expect(matches({ field: "Extra", op: "=", value: "a" }, { Extra: { a: "1" } })).toBe(false)
    expect(matches({ field: "Extra", op: "!=", value: "a" }, { Extra: { a: "1" } })).toBe(true)
  })
})

describe("FilterCompiler variables", () => {
  const variables = new Map<string, (event: NormalizedEvent) => unknown>([
    ["score", (event) => (event.Priority ?? 0) * 2],
    ["expectedUser", (event) => event.SourceUserName],
    ["portText", () => "080"],
    ["nothing", () => undefined]
  ])
  const check = (filter: Filter, fields: Partial<NormalizedEvent>): boolean => compileFilter(filter, { variables })(makeEvent(fields))

  it("a variable in the field position is read per event and compared like a field", () => {
    expect(check({ field: "$score", op: ">", value: 5 }, { Priority: 3 })).toBe(true)
    expect(check({ field: "$score", op: ">", value: 5 }, { Priority: 2 })).toBe(false)
    expect(check({ field: "$score", op: "in", values: [4, 6] }, { Priority: 3 })).toBe(true)
    expect(check({ field: "$expectedUser", op: "exists" }, { SourceUserName: "bob" })).toBe(true)
  })

  it("a variable in the value position compares with the field per event", () => {
    const sameUser: Filter = { field: "DestinationUserName", op: "=", value: { variable: "expectedUser" } }
    expect(check(sameUser, { SourceUserName: "bob", DestinationUserName: "bob" })).toBe(true)
    expect(check(sameUser, { SourceUserName: "bob", DestinationUserName: "alice" })).toBe(false)
    expect(check({ ...sameUser, op: "!=" }, { SourceUserName: "bob", DestinationUserName: "alice" })).toBe(true)
    expect(check({ ...sameUser, op: "startsWith" }, { SourceUserName: "bo", DestinationUserName: "bob" })).toBe(true)
    // A numeric text value compares numerically with a numeric field, like a constant.
    expect(check({ field: "SourcePort", op: "=", value: { variable: "portText" } }, { SourcePort: 80 })).toBe(true)
    expect(check({ field: "SourcePort", op: "<", value: { variable: "score" } }, { SourcePort: 5, Priority: 3 })).toBe(true)
  })

  it("a variable without a value behaves like a missing field on either side", () => {
    expect(check({ field: "$nothing", op: "=", value: "x" }, {})).toBe(false)
    expect(check({ field: "$nothing", op: "!=", value: "x" }, {})).toBe(true)
    expect(check({ field: "$nothing", op: "exists" }, {})).toBe(false)
    expect(check({ field: "Name", op: "=", value: { variable: "nothing" } }, { Name: "x" })).toBe(false)
    expect(check({ field: "Name", op: "!=", value: { variable: "nothing" } }, { Name: "x" })).toBe(true)
    expect(check({ field: "Name", op: "contains", value: { variable: "nothing" } }, { Name: "x" })).toBe(false)
  })
})

describe("FilterCompiler list fields", () => {
  it("a comparison on a list field holds when any element does; != when none is equal", () => {
    const event = { BaseEventIDs: ["a1", "b2"] }
    expect(matches({ field: "BaseEventIDs", op: "=", value: "b2" }, event)).toBe(true)
    expect(matches({ field: "BaseEventIDs", op: "=", value: "c3" }, event)).toBe(false)
    expect(matches({ field: "BaseEventIDs", op: "!=", value: "b2" }, event)).toBe(false)
    expect(matches({ field: "BaseEventIDs", op: "!=", value: "c3" }, event)).toBe(true)
    expect(matches({ field: "BaseEventIDs", op: "in", values: ["x", "a1"] }, event)).toBe(true)
    expect(matches({ field: "GroupedBy", op: "startsWith", value: "Source" }, { GroupedBy: ["SourceAddress"] })).toBe(true)
  })

  it("an empty or missing list exists not and matches no element test", () => {
    expect(matches({ field: "BaseEventIDs", op: "exists" }, { BaseEventIDs: [] })).toBe(false)
    expect(matches({ field: "BaseEventIDs", op: "exists" }, { BaseEventIDs: ["a"] })).toBe(true)
    expect(matches({ field: "BaseEventIDs", op: "=", value: "a" }, {})).toBe(false)
    expect(matches({ field: "BaseEventIDs", op: "!=", value: "a" }, { BaseEventIDs: [] })).toBe(true)
  })
})

describe("FilterCompiler match (RE2)", () => {
  it("searches anywhere in the text unless anchored", () => {
    expect(matches({ field: "Message", op: "match", pattern: "fail" }, { Message: "login failed" })).toBe(true)
    expect(matches({ field: "Message", op: "match", pattern: "^fail" }, { Message: "login failed" })).toBe(false)
    expect(matches({ field: "Message", op: "match", pattern: "^fail.*user$" }, { Message: "failed for user" })).toBe(true)
    expect(matches({ field: "Message", op: "match", pattern: "^fail.*user$" }, { Message: "failed for user2" })).toBe(false)
  })

  it("is case-sensitive unless the pattern says (?i)", () => {
    expect(matches({ field: "Message", op: "match", pattern: "FAIL" }, { Message: "login failed" })).toBe(false)
    expect(matches({ field: "Message", op: "match", pattern: "(?i)FAIL" }, { Message: "login failed" })).toBe(true)
    expect(matches({ field: "Message", op: "match", pattern: "(?i:LOGIN) failed" }, { Message: "Login failed" })).toBe(true)
    expect(matches({ field: "Message", op: "match", pattern: "(?i:LOGIN) FAILED" }, { Message: "Login failed" })).toBe(false)
  })

  it("reads Unicode text by code point", () => {
    expect(matches({ field: "Message", op: "match", pattern: "^caf.$" }, { Message: "café" })).toBe(true)
    expect(matches({ field: "Message", op: "match", pattern: "^.$" }, { Message: "😀" })).toBe(true)
    expect(matches({ field: "Message", op: "match", pattern: "\\p{Greek}" }, { Message: "α-test" })).toBe(true)
  })

  it("is false for a missing field and for numbers", () => {
    expect(matches({ field: "Message", op: "match", pattern: "" }, {})).toBe(false)
    expect(matches({ field: "SourcePort", op: "match", pattern: "22" }, { SourcePort: 22 })).toBe(false)
    expect(matches({ not: { field: "Message", op: "match", pattern: "x" } }, {})).toBe(true)
  })

  it("runs in linear time: (a+)+$ against 100k a's and a b returns false quickly", () => {
    const predicate = compileFilter({ field: "Message", op: "match", pattern: "(a+)+$" })
    const event = makeEvent({ Message: `${"a".repeat(100_000)}b` })
    const started = performance.now()
    expect(predicate(event)).toBe(false)
    expect(performance.now() - started).toBeLessThan(500)
  })

  it("an invalid pattern or one outside RE2 (backreference, lookahead) is an InvalidFilter at its path", () => {
    for (const pattern of ["(", "a**", "\\1", "(?=x)", "[z-a]"]) {
      let error: unknown
      try {
        compileFilter({ and: [MatchAll, MatchAll, { field: "Message", op: "match", pattern }] })
      } catch (caught) {
        error = caught
      }
      expect(error, pattern).toBeInstanceOf(InvalidFilter)
      expect((error as InvalidFilter).path, pattern).toBe("and[2].pattern")
      expect((error as InvalidFilter).reason, pattern).toMatch(/^invalid regular expression: /)
    }
  })
})

describe("FilterCompiler inSubnet", () => {
  const inRanges = (cidrs: ReadonlyArray<string>, address: string | undefined): boolean =>
    matches({ field: "SourceAddress", op: "inSubnet", cidrs: [cidrs[0]!, ...cidrs.slice(1)] }, address === undefined ? {} : { SourceAddress: address })

  it("matches IPv4 addresses against IPv4 ranges", () => {
    expect(inRanges(["10.0.0.0/8"], "10.200.3.4")).toBe(true)
    expect(inRanges(["10.0.0.0/8"], "11.0.0.1")).toBe(false)
    expect(inRanges(["192.168.0.0/13"], "192.175.255.255")).toBe(true)
    expect(inRanges(["192.168.0.0/13"], "192.176.0.0")).toBe(false)
    expect(inRanges(["10.0.0.1/32"], "10.0.0.1")).toBe(true)
    expect(inRanges(["10.0.0.1"], "10.0.0.2")).toBe(false)
  })

  it("matches IPv6 addresses, and IPv4-mapped IPv6 addresses against IPv4 ranges", () => {
    expect(inRanges(["2001:db8::/32"], "2001:db8:ffff::1")).toBe(true)
    expect(inRanges(["2001:db8::/32"], "2001:db9::1")).toBe(false)
    expect(inRanges(["::1/128"], "::1")).toBe(true)
    expect(inRanges(["::1/128"], "0:0:0:0:0:0:0:1")).toBe(true)
    expect(inRanges(["10.0.0.0/8"], "::ffff:10.0.0.1")).toBe(true)
    expect(inRanges(["10.0.0.0/8"], "::ffff:a00:1")).toBe(true)
    expect(inRanges(["fd00::/8"], "10.0.0.1")).toBe(false)
    expect(inRanges(["10.0.0.0/8"], "fd00::1")).toBe(false)
  })

  it("holds when any of several ranges holds", () => {
    expect(inRanges(["10.0.0.0/8", "fd00::/8"], "fd12::1")).toBe(true)
    expect(inRanges(["10.0.0.0/8", "fd00::/8"], "10.1.1.1")).toBe(true)
    expect(inRanges(["10.0.0.0/8", "fd00::/8"], "172.16.0.1")).toBe(false)
  })

  it("is false for a missing field or a value that is not an address", () => {
    for (const address of [undefined, "", "10.0.0", "10.0.0.256", "host.example", "10.0.0.1 ", "::ffff:10.0.0.1.5"]) {
      expect(inRanges(["0.0.0.0/0", "::/0"], address), String(address)).toBe(false)
    }
  })

  it("an invalid CIDR is an InvalidFilter naming the range, also for host bits after the prefix", () => {
    const cases: ReadonlyArray<[string, RegExp]> = [
      ["10.0.0.0/33", /prefix length/],
      ["10.0.0/8", /not an IPv4 address/],
      ["2001:db8::/129", /prefix length/],
      ["10.0.0.1/8", /bits set beyond its \/8 prefix/],
      ["gg::/8", /not an IPv6 address/]
    ]
    for (const [cidr, reason] of cases) {
      let error: unknown
      try {
        compileFilter({ not: { field: "SourceAddress", op: "inSubnet", cidrs: ["10.0.0.0/8", cidr] } })
      } catch (caught) {
        error = caught
      }
      expect(error, cidr).toBeInstanceOf(InvalidFilter)
      expect((error as InvalidFilter).path, cidr).toBe("not.cidrs[1]")
      expect((error as InvalidFilter).reason, cidr).toMatch(reason)
      expect((error as InvalidFilter).reason, cidr).toContain(cidr)
    }
  })
})

describe("FilterCompiler inActiveList", () => {
  const records = new Set(["10.0.0.1", "10.0.0.1|22", "|22", "bob"])
  const lookups: Array<[string, string]> = []
  const activeLists: ActiveListLookup = {
    has: (list, key) => {
      lookups.push([list, key])
      return list === "blocked" && records.has(key)
    }
  }
  const check = (filter: Filter, fields: Partial<NormalizedEvent>): boolean => compileFilter(filter, { activeLists })(makeEvent(fields))

  it("looks up the key field's value in the named list", () => {
    lookups.length = 0
    expect(check({ op: "inActiveList", list: "blocked", keyFields: ["SourceAddress"] }, { SourceAddress: "10.0.0.1" })).toBe(true)
    expect(check({ op: "inActiveList", list: "blocked", keyFields: ["SourceAddress"] }, { SourceAddress: "10.0.0.2" })).toBe(false)
    expect(check({ op: "inActiveList", list: "other", keyFields: ["SourceAddress"] }, { SourceAddress: "10.0.0.1" })).toBe(false)
    expect(lookups).toEqual([["blocked", "10.0.0.1"], ["blocked", "10.0.0.2"], ["other", "10.0.0.1"]])
  })

  it("joins several key fields with |, numbers as text and missing values as empty", () => {
    const filter: Filter = { op: "inActiveList", list: "blocked", keyFields: ["SourceAddress", "DestinationPort"] }
    expect(check(filter, { SourceAddress: "10.0.0.1", DestinationPort: 22 })).toBe(true)
    expect(check(filter, { SourceAddress: "10.0.0.1", DestinationPort: 23 })).toBe(false)
    expect(check(filter, { DestinationPort: 22 })).toBe(true)
  })

  it("reads Extra entries and variables as key fields", () => {
    const variables = new Map([["user", (event: NormalizedEvent) => event.Extra?.["login"]]])
    const byExtra = compileFilter({ op: "inActiveList", list: "blocked", keyFields: ["Extra.login"] }, { activeLists })
    const byVariable = compileFilter({ op: "inActiveList", list: "blocked", keyFields: ["$user"] }, { activeLists, variables })
    expect(byExtra(makeEvent({ Extra: { login: "bob" } }))).toBe(true)
    expect(byVariable(makeEvent({ Extra: { login: "bob" } }))).toBe(true)
    expect(byVariable(makeEvent({ Extra: { login: "eve" } }))).toBe(false)
  })

  it("without active lists (event search) it is an InvalidFilter; a bad key field is an UnknownField", () => {
    expect(() => compileFilter({ op: "inActiveList", list: "blocked", keyFields: ["SourceAddress"] })).toThrow(InvalidFilter)
    let error: unknown
    try {
      compileFilter({ or: [{ op: "inActiveList", list: "blocked", keyFields: ["SourceAddress", "Nope"] }] }, { activeLists })
    } catch (caught) {
      error = caught
    }
    expect(error).toMatchObject({ _tag: "UnknownField", path: "or[0].keyFields[1]" })
  })
})

// A small, obviously correct evaluator: the filter language written out case by case.
const numeral = /^-?\d+(\.\d+)?$/

const orderOf = (actual: unknown, expected: unknown): number | undefined => {
  if (typeof expected !== "string" && typeof expected !== "number") return undefined
  if (typeof actual === "number") {
    const other = typeof expected === "number" ? expected : numeral.test(expected) ? Number(expected) : undefined
    if (other === undefined) return undefined
    return actual === other ? 0 : actual < other ? -1 : 1
  }
  if (typeof actual === "string") {
    const other = String(expected)
    return actual === other ? 0 : actual < other ? -1 : 1
  }
  return undefined
}

// RE2 patterns of the property test with JavaScript regular expressions that mean the same.
const patterns: ReadonlyArray<readonly [string, RegExp]> = [
  ["^a", /^a/],
  ["b$", /b$/],
  ["(?i)^A", /^A/i],
  ["1[0-9]", /1[0-9]/],
  ["^$", /^$/]
]
const cidrSets: ReadonlyArray<readonly [string, ...Array<string>]> = [["10.0.0.0/8"], ["10.0.0.0/9", "fd00::/8"], ["::/0"], ["2001:db8::/32"]]
const referenceSubnets = (cidrs: ReadonlyArray<string>): BlockList => {
  const blockList = new BlockList()
  for (const cidr of cidrs) {
    const [address, prefix] = cidr.split("/") as [string, string]
    blockList.addSubnet(address, Number(prefix), isIP(address) === 4 ? "ipv4" : "ipv6")
  }
  return blockList
}

interface ReferenceContext {
  readonly variables: ReadonlyMap<string, (event: NormalizedEvent) => unknown>
  readonly records: ReadonlySet<string>
}

const readReference = (event: NormalizedEvent, field: string, context: ReferenceContext): unknown => {
  if (field.startsWith("$")) return context.variables.get(field.slice(1))!(event)
  if (field.startsWith("Extra.")) {
    const key = field.slice("Extra.".length)
    return event.Extra !== undefined && Object.hasOwn(event.Extra, key) ? event.Extra[key] : undefined
  }
  return (event as Record<string, unknown>)[field]
}

const scalarHolds = (filter: Condition, actual: unknown, event: NormalizedEvent, context: ReferenceContext): boolean => {
  switch (filter.op) {
    case "inActiveList":
      return false
    case "exists":
      return actual !== undefined && actual !== ""
    case "in":
      return filter.values.some((value) => orderOf(actual, value) === 0)
    case "match":
      return typeof actual === "string" && patterns.find(([pattern]) => pattern === filter.pattern)![1].test(actual)
    case "inSubnet":
      return typeof actual === "string" && isIP(actual) !== 0 && referenceSubnets(filter.cidrs).check(actual, isIP(actual) === 4 ? "ipv4" : "ipv6")
    default: {
      const expected = typeof filter.value === "object" ? context.variables.get(filter.value.variable)!(event) : filter.value
      const order = orderOf(actual, expected)
      const needle = typeof expected === "number" || typeof expected === "string" ? String(expected) : undefined
      switch (filter.op) {
        case "=":
          return order === 0
        case "!=":
          return order !== 0
        case "<":
          return order === -1
        case "<=":
          return order === -1 || order === 0
        case ">":
          return order === 1
        case ">=":
          return order === 1 || order === 0
        case "contains":
          return typeof actual === "string" && needle !== undefined && actual.includes(needle)
        case "startsWith":
          return typeof actual === "string" && needle !== undefined && actual.startsWith(needle)
        case "endsWith":
          return typeof actual === "string" && needle !== undefined && actual.endsWith(needle)
      }
    }
  }
}

const referenceEvaluate = (filter: Filter, event: NormalizedEvent, context: ReferenceContext): boolean => {
  if ("and" in filter) return filter.and.every((part) => referenceEvaluate(part, event, context))
  if ("or" in filter) return filter.or.some((part) => referenceEvaluate(part, event, context))
  if ("not" in filter) return !referenceEvaluate(filter.not, event, context)
  if (filter.op === "inActiveList") {
    const key = filter.keyFields
      .map((field) => readReference(event, field, context))
      .map((value) => (value === undefined ? "" : String(value)))
      .join("|")
    return filter.list === "watch" && context.records.has(key)
  }
  const actual = readReference(event, filter.field, context)
  if (Array.isArray(actual)) {
    // A list field: any element holds; != means no element is equal; exists means non-empty.
    if (filter.op === "exists") return actual.length > 0
    if (filter.op === "!=") return !actual.some((element) => scalarHolds({ ...filter, op: "=" }, element, event, context))
    return actual.some((element) => scalarHolds(filter, element, event, context))
  }
  return scalarHolds(filter, actual, event, context)
}

const referenceContext: ReferenceContext = {
  variables: new Map<string, (event: NormalizedEvent) => unknown>([
    ["port", (event) => event.SourcePort],
    ["name", (event) => event.Name],
    ["ten", () => "10"],
    ["none", () => undefined]
  ]),
  records: new Set(["a", "a|9", "|9", "10.0.0.1", "ab|"])
}
const referenceOptions: FilterCompileOptions = {
  variables: referenceContext.variables,
  activeLists: { has: (list, key) => list === "watch" && referenceContext.records.has(key) }
}

const stringFields = ["Name", "Message", "Extra.agent", "$name", "$ten"] as const
const numberFields = ["SourcePort", "BytesIn", "$port"] as const
const fieldArbitrary = fc.constantFrom<string>(...stringFields, ...numberFields, "BaseEventIDs", "$none")
const constantArbitrary = fc.oneof(
  fc.constantFrom<string | number>("a", "ab", "b", "ba", "10", "9", "x10", "1.5"),
  fc.constantFrom<string | number>(0, 1, 9, 10, 80, 1.5)
)
const operandArbitrary = fc.oneof(
  { weight: 4, arbitrary: constantArbitrary },
  { weight: 1, arbitrary: fc.constantFrom("port", "name", "ten", "none").map((variable) => ({ variable })) }
)
const leafArbitrary: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({
    field: fieldArbitrary,
    op: fc.constantFrom("=", "!=", "<", "<=", ">", ">=", "contains", "startsWith", "endsWith"),
    value: operandArbitrary
  }),
  fc.record({ field: fieldArbitrary, op: fc.constant("in" as const), values: fc.array(constantArbitrary, { maxLength: 3 }) }),
  fc.record({ field: fieldArbitrary, op: fc.constant("exists" as const) }),
  fc.record({ field: fieldArbitrary, op: fc.constant("match" as const), pattern: fc.constantFrom(...patterns.map(([pattern]) => pattern)) }),
  fc.record({ field: fc.constantFrom("SourceAddress", "Name"), op: fc.constant("inSubnet" as const), cidrs: fc.constantFrom(...cidrSets) }),
  fc.record({
    op: fc.constant("inActiveList" as const),
    list: fc.constantFrom("watch", "other"),
    keyFields: fc.constantFrom<readonly [string, ...Array<string>]>(["Name"], ["SourceAddress"], ["Name", "SourcePort"], ["Extra.agent", "$port"])
  })
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
      Name: fc.constantFrom("", "a", "ab", "b", "ba", "10", "9", "A1"),
      Message: fc.constantFrom("", "a", "ab", "x10", "1.5"),
      SourcePort: fc.constantFrom(0, 1, 9, 10, 80),
      BytesIn: fc.constantFrom(0, 1.5, 9, 10),
      SourceAddress: fc.constantFrom("10.0.0.1", "10.200.0.1", "11.0.0.1", "::ffff:10.0.0.1", "fd00::1", "2001:db8::5", "::1", "bogus", ""),
      Extra: fc.record({ agent: fc.constantFrom("a", "ab", "10") }, { requiredKeys: [] }),
      BaseEventIDs: fc.subarray(["a", "ab", "10"])
    },
    { requiredKeys: [] }
  )
  .map((fields) => makeEvent(fields as Partial<NormalizedEvent>))

describe("FilterCompiler property", () => {
  it("agrees with the reference evaluator on random filters and events", () => {
    fc.assert(
      fc.property(filterArbitrary, fc.array(eventArbitrary, { minLength: 1, maxLength: 8 }), (filter, events) => {
        const predicate = compileFilter(filter, referenceOptions)
        for (const event of events) expect(predicate(event)).toBe(referenceEvaluate(filter, event, referenceContext))
      }),
      { numRuns: 1000 }
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
