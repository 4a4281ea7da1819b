// The filter language's text form: what every construct parses to, precedence, where and why bad
// text is rejected, and that formatFilter prints text which parses back to the same selection.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { NormalizedEvent } from "../Event.ts"
import type { Filter } from "../Filter.ts"
import { compileFilter, InvalidFilter, type FilterCompileOptions } from "../FilterCompiler.ts"
import { FilterSyntaxError, formatFilter, MaxNesting, parseFilter } from "./FilterParser.ts"
import { makeEvent } from "../../test/support/makeEvent.ts"


/** Parses filter text that must be valid. */
const parsed = (text: string): Filter => {
  const result = parseFilter(text)
  if (result instanceof FilterSyntaxError) throw new Error(`expected a valid filter, got: ${result.message}`)
  return result
}

/** Parses filter text that must be rejected. */
const rejected = (text: string): FilterSyntaxError => {
  const result = parseFilter(text)
  if (!(result instanceof FilterSyntaxError)) throw new Error(`expected an error for: ${text}`)
  return result
}

/** Where an error is and what it expected, in one comparable value. */
const at = (text: string): [number, number, string] => {
  const error = rejected(text)
  return [error.line, error.column, error.expected]
}

const nameIs = (value: string): Filter => ({ field: "Name", op: "=", value })

describe("FilterParser constructs", () => {
  it("parses the example with every construct into the tree", () => {
    const text = [
      "SourceAddress = '10.0.0.1' AND (DestinationPort IN (22, 3389) OR NOT DeviceAction = 'allow')",
      "AND Message contains 'fail' AND Name startsWith 'A' AND Name endsWith 'z'",
      "AND match(Message, '^fail.*user$') AND inSubnet(SourceAddress, '10.0.0.0/8', 'fd00::/8')",
      "AND inActiveList('blocked_ips', SourceAddress, DestinationPort) AND exists(FileHash) AND $score > 5",
      "AND Extra.agent = 'x' AND DestinationUserName = $expectedUser AND SourceUserName IS NOT NULL",
      "AND SourcePort != 0 AND Message LIKE '%error%'"
    ].join("\n")
    expect(parsed(text)).toEqual({
      and: [
        { field: "SourceAddress", op: "=", value: "10.0.0.1" },
        { or: [{ field: "DestinationPort", op: "in", values: [22, 3389] }, { not: { field: "DeviceAction", op: "=", value: "allow" } }] },
        { field: "Message", op: "contains", value: "fail" },
        { field: "Name", op: "startsWith", value: "A" },
        { field: "Name", op: "endsWith", value: "z" },
        { field: "Message", op: "match", pattern: "^fail.*user$" },
        { field: "SourceAddress", op: "inSubnet", cidrs: ["10.0.0.0/8", "fd00::/8"] },
        { op: "inActiveList", list: "blocked_ips", keyFields: ["SourceAddress", "DestinationPort"] },
        { field: "FileHash", op: "exists" },
        { field: "$score", op: ">", value: 5 },
        { field: "Extra.agent", op: "=", value: "x" },
        { field: "DestinationUserName", op: "=", value: { variable: "expectedUser" } },
        { field: "SourceUserName", op: "exists" },
        { field: "SourcePort", op: "!=", value: 0 },
        { field: "Message", op: "contains", value: "error" }
      ]
    })
  })

  it("parses every comparison operator, with <> as !=", () => {
    for (const op of ["=", "!=", "<", "<=", ">", ">="] as const) {
      expect(parsed(`SourcePort ${op} 22`)).toEqual({ field: "SourcePort", op, value: 22 })
    }
    expect(parsed("SourcePort <> 22")).toEqual({ field: "SourcePort", op: "!=", value: 22 })
    expect(parsed("SourcePort>=22")).toEqual({ field: "SourcePort", op: ">=", value: 22 })
  })

  it("reads negative, decimal and exponent numbers, and strings with '' escaping", () => {
    expect(parsed("BytesIn > -1.25")).toEqual({ field: "BytesIn", op: ">", value: -1.25 })
    expect(parsed("BytesIn < 1e3")).toEqual({ field: "BytesIn", op: "<", value: 1000 })
    expect(parsed("BytesIn < 2.5E-2")).toEqual({ field: "BytesIn", op: "<", value: 0.025 })
    expect(parsed("Message = 'it''s'")).toEqual({ field: "Message", op: "=", value: "it's" })
    expect(parsed("Message = ''")).toEqual({ field: "Message", op: "=", value: "" })
    expect(parsed("Message = 'a AND b\nOR (c)'")).toEqual({ field: "Message", op: "=", value: "a AND b\nOR (c)" })
  })

  it("keywords, operator words and function names are case-insensitive; field names are not", () => {
    expect(parsed("name = 'a' or Name = 'b'".replace("name", "Name"))).toEqual({ or: [nameIs("a"), nameIs("b")] })
    expect(parsed("not Name CONTAINS 'a' And Name STARTSWITH 'b' aNd Name endswith 'c'")).toEqual({
      and: [{ not: { field: "Name", op: "contains", value: "a" } }, { field: "Name", op: "startsWith", value: "b" }, { field: "Name", op: "endsWith", value: "c" }]
    })
    expect(parsed("MATCH(Name, 'x') AND InSubnet(SourceAddress, '::1') AND EXISTS(Name) AND INACTIVELIST('l', Name)")).toEqual({
      and: [
        { field: "Name", op: "match", pattern: "x" },
        { field: "SourceAddress", op: "inSubnet", cidrs: ["::1"] },
        { field: "Name", op: "exists" },
        { op: "inActiveList", list: "l", keyFields: ["Name"] }
      ]
    })
    expect(parsed("Name is not null")).toEqual({ field: "Name", op: "exists" })
    expect(rejected("name = 'a'").expected).toBe("an event field")
  })

  it("IN takes strings and numbers, and may be empty", () => {
    expect(parsed("DeviceAction in ('deny','drop', 1)")).toEqual({ field: "DeviceAction", op: "in", values: ["deny", "drop", 1] })
    expect(parsed("DeviceAction IN ()")).toEqual({ field: "DeviceAction", op: "in", values: [] })
  })

  it("LIKE with % at the ends becomes contains, startsWith, endsWith or equality", () => {
    expect(parsed("RequestUrl LIKE '%/admin%'")).toEqual({ field: "RequestUrl", op: "contains", value: "/admin" })
    expect(parsed("RequestUrl LIKE 'https://%'")).toEqual({ field: "RequestUrl", op: "startsWith", value: "https://" })
    expect(parsed("RequestUrl LIKE '%.php'")).toEqual({ field: "RequestUrl", op: "endsWith", value: ".php" })
    expect(parsed("RequestUrl LIKE '/index'")).toEqual({ field: "RequestUrl", op: "=", value: "/index" })
  })

  it("IS NULL is not(exists), IS NOT NULL is exists", () => {
    expect(parsed("SourceUserName IS NULL")).toEqual({ not: { field: "SourceUserName", op: "exists" } })
    expect(parsed("SourceUserName IS NOT NULL")).toEqual({ field: "SourceUserName", op: "exists" })
  })

  it("NOT before IN, LIKE and the text operators negates the condition", () => {
    expect(parsed("DestinationPort NOT IN (22)")).toEqual({ not: { field: "DestinationPort", op: "in", values: [22] } })
    expect(parsed("Name NOT LIKE 'a%'")).toEqual({ not: { field: "Name", op: "startsWith", value: "a" } })
    expect(parsed("Name not contains 'x'")).toEqual({ not: { field: "Name", op: "contains", value: "x" } })
  })

  it("variables stand in field and value positions; Extra entries and quoted identifiers are fields", () => {
    expect(parsed("$score >= $threshold")).toEqual({ field: "$score", op: ">=", value: { variable: "threshold" } })
    expect(parsed("Name contains $part")).toEqual({ field: "Name", op: "contains", value: { variable: "part" } })
    expect(parsed("Extra.http.method = 'GET'")).toEqual({ field: "Extra.http.method", op: "=", value: "GET" })
    expect(parsed('"Extra.user-agent" startsWith \'curl\'')).toEqual({ field: "Extra.user-agent", op: "startsWith", value: "curl" })
    expect(parsed('"Extra.say ""hi""" IS NOT NULL')).toEqual({ field: 'Extra.say "hi"', op: "exists" })
    expect(parsed('"SourcePort" = 1')).toEqual({ field: "SourcePort", op: "=", value: 1 })
    expect(parsed("inActiveList('users', $user, Extra.domain)")).toEqual({ op: "inActiveList", list: "users", keyFields: ["$user", "Extra.domain"] })
  })

  it("TRUE and FALSE are the filters that match everything and nothing", () => {
    expect(parsed("TRUE")).toEqual({ and: [] })
    expect(parsed("false OR Name = 'a'")).toEqual({ or: [{ or: [] }, nameIs("a")] })
  })
})

describe("FilterParser precedence", () => {
  it("AND binds tighter than OR", () => {
    expect(parsed("Name = 'a' OR Name = 'b' AND Name = 'c'")).toEqual({ or: [nameIs("a"), { and: [nameIs("b"), nameIs("c")] }] })
    expect(parsed("Name = 'a' AND Name = 'b' OR Name = 'c'")).toEqual({ or: [{ and: [nameIs("a"), nameIs("b")] }, nameIs("c")] })
  })

  it("NOT binds tighter than AND, and applies to a parenthesised group or a function", () => {
    expect(parsed("NOT Name = 'a' AND Name = 'b'")).toEqual({ and: [{ not: nameIs("a") }, nameIs("b")] })
    expect(parsed("NOT (Name = 'a' OR Name = 'b')")).toEqual({ not: { or: [nameIs("a"), nameIs("b")] } })
    expect(parsed("NOT NOT Name = 'a'")).toEqual({ not: { not: nameIs("a") } })
    expect(parsed("NOT exists(Name) OR Name = 'a'")).toEqual({ or: [{ not: { field: "Name", op: "exists" } }, nameIs("a")] })
  })

  it("parentheses override precedence; chains become one flat node", () => {
    expect(parsed("(Name = 'a' OR Name = 'b') AND Name = 'c'")).toEqual({ and: [{ or: [nameIs("a"), nameIs("b")] }, nameIs("c")] })
    expect(parsed("((Name = 'a'))")).toEqual(nameIs("a"))
    expect(parsed("Name = 'a' AND Name = 'b' AND Name = 'c'")).toEqual({ and: [nameIs("a"), nameIs("b"), nameIs("c")] })
    expect(parsed("Name = 'a' OR (Name = 'b' OR Name = 'c')")).toEqual({ or: [nameIs("a"), { or: [nameIs("b"), nameIs("c")] }] })
  })
})

describe("FilterParser errors", () => {
  it("is a tagged FilterSyntaxError value with the position in its message", () => {
    const error = rejected("Name = 'a' AND Nmae = 'b'")
    expect(error).toBeInstanceOf(FilterSyntaxError)
    expect(error._tag).toBe("FilterSyntaxError")
    expect(error.message).toBe("line 1, column 16: expected an event field, found Nmae")
  })

  it("says what may start a condition", () => {
    expect(at("")).toEqual([1, 1, "a field, a variable or '('"])
    expect(at("Name = 'a' AND")).toEqual([1, 15, "a field, a variable or '('"])
    expect(at("Name = 'a' AND OR Name = 'b'")).toEqual([1, 16, "a field, a variable or '('"])
    expect(at("42 = Name")).toEqual([1, 1, "a field, a variable or '('"])
    expect(rejected("").message).toBe("line 1, column 1: expected a field, a variable or '(', found end of filter")
  })

  it("an unknown field is reported where it stands", () => {
    expect(at("Nmae = 'x'")).toEqual([1, 1, "an event field"])
    expect(at("exists(SrcIp)")).toEqual([1, 8, "an event field"])
    expect(at("Extra. = 'x'")).toEqual([1, 1, "an event field"])
    expect(at('"No Such" = 1')).toEqual([1, 1, "an event field"])
  })

  it("a missing operator, value, parenthesis or NULL says what was expected", () => {
    expect(at("Name 'x'")).toEqual([1, 6, "a comparison (=, !=, <, <=, >, >=), IN, LIKE, IS, contains, startsWith or endsWith"])
    expect(at("Name == 'x'")).toEqual([1, 7, "a quoted string, a number or a variable"])
    expect(at("Name = ")).toEqual([1, 8, "a quoted string, a number or a variable"])
    expect(at("Name NOT = 'x'")).toEqual([1, 10, "IN, LIKE, contains, startsWith or endsWith"])
    expect(at("(Name = 'a'")).toEqual([1, 12, "')'"])
    expect(at("Name = 'a')")).toEqual([1, 11, "AND, OR or end of filter"])
    expect(at("Name = 'a' Name = 'b'")).toEqual([1, 12, "AND, OR or end of filter"])
    expect(at("Name IN 'a'")).toEqual([1, 9, "'('"])
    expect(at("Name IN ('a',)")).toEqual([1, 14, "a quoted string or a number"])
    expect(at("Name IN ('a' 'b')")).toEqual([1, 14, "',' or ')'"])
    expect(at("Name IN ($x)")).toEqual([1, 10, "a quoted string or a number"])
    expect(at("Name IS 'a'")).toEqual([1, 9, "NULL"])
    expect(at("Name LIKE 5")).toEqual([1, 11, "a quoted LIKE pattern"])
    expect(at("Name LIKE 'a%b'")).toEqual([1, 11, "a pattern with % only at its ends"])
    expect(at("Name LIKE 'a_b'")).toEqual([1, 11, "a pattern with % only at its ends"])
  })

  it("functions check their arguments where they stand", () => {
    expect(at("exists(Name")).toEqual([1, 12, "')'"])
    expect(at("exists('Name')")).toEqual([1, 8, "a field or a variable"])
    expect(at("match(Message)")).toEqual([1, 14, "','"])
    expect(at("match(Message, fail)")).toEqual([1, 16, "a quoted regular expression"])
    expect(at("inSubnet(SourceAddress)")).toEqual([1, 23, "','"])
    expect(at("inSubnet(SourceAddress, 10)")).toEqual([1, 25, "a quoted CIDR range"])
    expect(at("inActiveList(blocked, SourceAddress)")).toEqual([1, 14, "a quoted active list name"])
    expect(at("inActiveList('', SourceAddress)")).toEqual([1, 14, "a quoted active list name"])
    expect(at("inActiveList('blocked')")).toEqual([1, 23, "','"])
  })

  it("an invalid RE2 pattern is reported at the pattern, with RE2's reason", () => {
    const error = rejected("Name = 'a' AND match(Message, '(fail')")
    expect([error.line, error.column, error.expected]).toEqual([1, 31, "a valid RE2 regular expression"])
    expect(error.message).toContain("missing closing )")
    expect(at("match(Message, '(?=x)')")).toEqual([1, 16, "a valid RE2 regular expression"])
  })

  it("an invalid CIDR range is reported at that range, with the reason", () => {
    const error = rejected("inSubnet(SourceAddress, '10.0.0.0/8', '10.0.0.1/8')")
    expect([error.line, error.column, error.expected]).toEqual([1, 39, "a CIDR range such as '10.0.0.0/8' or 'fd00::/8'"])
    expect(error.message).toContain("bits set beyond its /8 prefix")
    expect(at("inSubnet(SourceAddress, '2001:db8::/129')")).toEqual([1, 25, "a CIDR range such as '10.0.0.0/8' or 'fd00::/8'"])
  })

  it("bad characters, unterminated quotes and a bare $ are rejected where they start", () => {
    expect(at("Name = 'a'; DROP")).toEqual([1, 11, "a field, value or operator"])
    expect(at("Name = 'abc")).toEqual([1, 8, "closing quote"])
    expect(at("Name = 'abc''")).toEqual([1, 8, "closing quote"])
    expect(at('"Extra.x = 1')).toEqual([1, 1, 'closing "'])
    expect(at("$ = 1")).toEqual([1, 2, "a variable name after $"])
    expect(at("$1x = 1")).toEqual([1, 2, "a variable name after $"])
  })

  it("reports line and column in multi-line text, counting from the line start", () => {
    expect(at("Name = 'a'\n  AND (Message contains 'x'\n   OR Bogus = 1)")).toEqual([3, 7, "an event field"])
    expect(at("Message = 'two\nlines' AND\n\tName ~ 1")).toEqual([3, 7, "a field, value or operator"])
    expect(at("Name = 'a'\nAND (Name = 'b'\n")).toEqual([3, 1, "')'"])
    expect(rejected("Name = 'a' OR\n\n  ").message).toBe("line 3, column 3: expected a field, a variable or '(', found end of filter")
  })

  it(`refuses more than ${MaxNesting} nested NOTs or parentheses instead of overflowing the stack`, () => {
    expect(parsed(`${"(".repeat(MaxNesting)}Name = 'a'${")".repeat(MaxNesting)}`)).toEqual(nameIs("a"))
    expect(rejected(`${"(".repeat(100_000)}Name = 'a'`).expected).toBe(`at most ${MaxNesting} nested NOTs and parentheses`)
    expect(rejected(`${"NOT ".repeat(100_000)}Name = 'a'`).expected).toBe(`at most ${MaxNesting} nested NOTs and parentheses`)
  })
})

describe("FilterParser formatFilter", () => {
  it("prints the fewest parentheses that keep the tree", () => {
    const [a, b, c] = [nameIs("a"), nameIs("b"), nameIs("c")]
    expect(formatFilter({ and: [a, { or: [b, c] }] })).toBe("Name = 'a' AND (Name = 'b' OR Name = 'c')")
    expect(formatFilter({ or: [{ and: [a, b] }, c] })).toBe("Name = 'a' AND Name = 'b' OR Name = 'c'")
    expect(formatFilter({ or: [a, { or: [b, c] }] })).toBe("Name = 'a' OR (Name = 'b' OR Name = 'c')")
    expect(formatFilter({ not: { and: [a, b] } })).toBe("NOT (Name = 'a' AND Name = 'b')")
    expect(formatFilter({ not: { not: a } })).toBe("NOT NOT Name = 'a'")
    expect(formatFilter({ and: [] })).toBe("TRUE")
    expect(formatFilter({ not: { or: [] } })).toBe("NOT FALSE")
  })

  it("prints every condition in the syntax the parser reads", () => {
    expect(formatFilter({ field: "Message", op: "=", value: "it's" })).toBe("Message = 'it''s'")
    expect(formatFilter({ field: "SourcePort", op: "in", values: [22, "ssh"] })).toBe("SourcePort IN (22, 'ssh')")
    expect(formatFilter({ field: "Name", op: "startsWith", value: { variable: "prefix" } })).toBe("Name startsWith $prefix")
    expect(formatFilter({ field: "$score", op: ">", value: 1e21 })).toBe("$score > 1e+21")
    expect(formatFilter({ field: "Message", op: "match", pattern: "^a'b$" })).toBe("match(Message, '^a''b$')")
    expect(formatFilter({ field: "SourceAddress", op: "inSubnet", cidrs: ["10.0.0.0/8", "::1"] })).toBe("inSubnet(SourceAddress, '10.0.0.0/8', '::1')")
    expect(formatFilter({ op: "inActiveList", list: "l", keyFields: ["Name", "$v"] })).toBe("inActiveList('l', Name, $v)")
    expect(formatFilter({ field: "Extra.user agent", op: "exists" })).toBe('exists("Extra.user agent")')
    expect(formatFilter({ field: "Extra.a.b", op: "exists" })).toBe("exists(Extra.a.b)")
  })
})

// Values a rule author might write, including ones that need escaping and numbers at the edges.
const textArbitrary = fc.oneof(
  fc.constantFrom("", "a", "ab", "b", "it's", "x y", "AND", "(", "%", "10", "9", "1.5", "10.0.0.1", "fd00::1", "é", "\n", "''"),
  fc.string({ maxLength: 6 })
)
const numberArbitrary = fc.oneof(
  fc.constantFrom(0, -0, 1, 9, 10, 22, -3, 1.5, 80, 1e21, 5e-324, Number.NaN, Infinity, -Infinity),
  fc.double(),
  fc.integer()
)
const scalarArbitrary = fc.oneof(textArbitrary, numberArbitrary)
const variables = new Map<string, (event: NormalizedEvent) => unknown>([
  ["port", (event) => event.SourcePort],
  ["name", (event) => event.Name],
  ["ten", () => "10"],
  ["none", () => undefined]
])
const records = new Set(["a", "a|9", "|9", "10.0.0.1", "ab|", "|"])
const options: FilterCompileOptions = { variables, activeLists: { has: (list, key) => list === "watch" && records.has(key) } }
const fieldArbitrary = fc.constantFrom(
  "Name", "Message", "SourcePort", "BytesIn", "SourceAddress", "BaseEventIDs", "Extra.agent", "Extra.user agent", 'Extra."q"', "Extra.AND", "$port", "$name", "$ten", "$none"
)
const leafArbitrary: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({
    field: fieldArbitrary,
    op: fc.constantFrom("=", "!=", "<", "<=", ">", ">=", "contains", "startsWith", "endsWith"),
    value: fc.oneof({ weight: 5, arbitrary: scalarArbitrary }, { weight: 1, arbitrary: fc.constantFrom("port", "name", "ten", "none").map((variable) => ({ variable })) })
  }),
  fc.record({ field: fieldArbitrary, op: fc.constant("in" as const), values: fc.array(scalarArbitrary, { maxLength: 3 }) }),
  fc.record({ field: fieldArbitrary, op: fc.constant("exists" as const) }),
  fc.record({ field: fieldArbitrary, op: fc.constant("match" as const), pattern: fc.constantFrom("^a", "b$", "(?i)^A", "1[0-9]", "it's", "^$", "\\d+\\.\\d+") }),
  fc.record({
    field: fieldArbitrary,
    op: fc.constant("inSubnet" as const),
    cidrs: fc.constantFrom<readonly [string, ...Array<string>]>(["10.0.0.0/8"], ["10.0.0.0/9", "fd00::/8"], ["::/0"], ["10.0.0.1"])
  }),
  fc.record({
    op: fc.constant("inActiveList" as const),
    list: fc.constantFrom("watch", "other", "it's"),
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
      Name: textArbitrary,
      Message: textArbitrary,
      SourcePort: fc.constantFrom(-3, 0, 1, 9, 10, 22, 80),
      BytesIn: fc.oneof(fc.constantFrom(0, 1.5, 1e21), fc.double({ noNaN: true })),
      SourceAddress: fc.constantFrom("10.0.0.1", "10.200.0.1", "::ffff:10.0.0.1", "fd00::1", "bogus"),
      Extra: fc.record({ agent: textArbitrary, "user agent": textArbitrary, '"q"': textArbitrary, AND: textArbitrary }, { requiredKeys: [] }),
      BaseEventIDs: fc.array(textArbitrary, { maxLength: 3 })
    },
    { requiredKeys: [] }
  )
  .map((fields) => makeEvent(fields as Partial<NormalizedEvent>))

describe("FilterParser properties", () => {
  it("parseFilter(formatFilter(f)) selects the same events as f", () => {
    fc.assert(
      fc.property(filterArbitrary, fc.array(eventArbitrary, { minLength: 1, maxLength: 6 }), (filter, events) => {
        const text = formatFilter(filter)
        const roundTripped = parsed(text)
        const original = compileFilter(filter, options)
        const reparsed = compileFilter(roundTripped, options)
        for (const event of events) expect(reparsed(event), text).toBe(original(event))
        // Printing what was read back prints the same text: nothing drifts on a second trip.
        expect(formatFilter(roundTripped)).toBe(text)
      }),
      { numRuns: 1000 }
    )
  })

  it("any string yields a filter or a FilterSyntaxError positioned inside the text, never a throw", () => {
    const filterish = fc.array(
      fc.oneof(
        fc.constantFrom(
          "Name", "SourcePort", "Extra.a", '"Extra.b"', "$port", "$", "=", "<>", "<=", "'a'", "'", '"', "(", ")", ",", "AND", "OR", "NOT", "IN",
          "LIKE", "'%a%'", "IS", "NULL", "contains", "startsWith", "match(", "inSubnet(", "inActiveList(", "exists(", "'10.0.0.0/8'", "'(a'",
          "TRUE", "FALSE", "5", "-1.5", "\n", " "
        ),
        fc.string({ maxLength: 4 })
      ),
      { maxLength: 16 }
    )
    fc.assert(
      fc.property(fc.oneof(fc.string(), filterish.map((parts) => parts.join(" ")), filterish.map((parts) => parts.join(""))), (text) => {
        const result = parseFilter(text)
        if (result instanceof FilterSyntaxError) {
          const lines = text.split("\n")
          expect(result.line).toBeGreaterThanOrEqual(1)
          expect(result.line).toBeLessThanOrEqual(lines.length)
          expect(result.column).toBeGreaterThanOrEqual(1)
          expect(result.column).toBeLessThanOrEqual(lines[result.line - 1]!.length + 1)
          expect(result.expected.length).toBeGreaterThan(0)
          return
        }
        // What parses also compiles: names, patterns and ranges were checked; only variables the
        // host does not define can still fail, and then as an InvalidFilter.
        try {
          compileFilter(result, options)
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidFilter)
          expect((error as InvalidFilter).reason).toMatch(/^unknown variable/)
        }
      }),
      { numRuns: 3000 }
    )
  })
})
