// The event search language (SPEC §6 subset): what each query parses to, how the WHERE clause
// behaves once compiled, and where and why a bad query is rejected.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { NormalizedEvent } from "../../model/Event.ts"
import type { Filter } from "../../model/Filter.ts"
import { compileFilter } from "../../model/FilterCompiler.ts"
import { DefaultLimit, EventSqlError, MaxLimit, parseEventSql, type EventSql } from "./EventSql.ts"
import { makeEvent } from "../../test/support/makeEvent.ts"


/** Parses a query that must be valid. */
const parsed = (query: string): EventSql => {
  const result = parseEventSql(query)
  if (result instanceof EventSqlError) throw new Error(`expected a valid query, got: ${result.message}`)
  return result
}

/** Parses a query that must be rejected. */
const rejected = (query: string): EventSqlError => {
  const result = parseEventSql(query)
  if (!(result instanceof EventSqlError)) throw new Error(`expected an error for: ${query}`)
  return result
}

const where = (condition: string): Filter => parsed(`SELECT * FROM events WHERE ${condition}`).filter

const nameIs = (value: string): Filter => ({ field: "Name", op: "=", value })

describe("EventSql SELECT and FROM", () => {
  it("SELECT * FROM events selects every field, matches everything, newest first, default limit", () => {
    expect(parsed("SELECT * FROM events")).toEqual({ select: [], filter: { and: [] }, groupBy: [], orderBy: [], limit: DefaultLimit, aggregated: false })
    expect(DefaultLimit).toBe(250)
  })

  it("SELECT with a column list keeps the columns in order", () => {
    expect(parsed("SELECT Timestamp, Name,SourceAddress FROM events").select.map((item) => item.name)).toEqual(["Timestamp", "Name", "SourceAddress"])
    expect(parsed("SELECT ID FROM events").select).toEqual([{ kind: "field", field: "ID", name: "ID" }])
  })

  it("keywords and the table name are case-insensitive, spacing is free", () => {
    expect(parsed("select *\n\tfrom EVENTS\n  where Name = 'x'  order by Timestamp asc limit 5")).toEqual({
      select: [],
      filter: nameIs("x"),
      groupBy: [],
      orderBy: [{ name: "Timestamp", direction: "asc" }],
      limit: 5,
      aggregated: false
    })
  })
})

describe("EventSql WHERE", () => {
  it("parses every comparison operator, with <> as !=", () => {
    expect(where("SourcePort = 22")).toEqual({ field: "SourcePort", op: "=", value: 22 })
    expect(where("SourcePort != 22")).toEqual({ field: "SourcePort", op: "!=", value: 22 })
    expect(where("SourcePort <> 22")).toEqual({ field: "SourcePort", op: "!=", value: 22 })
    expect(where("SourcePort < 22")).toEqual({ field: "SourcePort", op: "<", value: 22 })
    expect(where("SourcePort <= 22")).toEqual({ field: "SourcePort", op: "<=", value: 22 })
    expect(where("SourcePort > 22")).toEqual({ field: "SourcePort", op: ">", value: 22 })
    expect(where("SourcePort >= 22")).toEqual({ field: "SourcePort", op: ">=", value: 22 })
    expect(where("SourcePort>=22")).toEqual({ field: "SourcePort", op: ">=", value: 22 })
  })

  it("reads negative and decimal numbers and quoted strings as constants", () => {
    expect(where("BytesIn > -1.25")).toEqual({ field: "BytesIn", op: ">", value: -1.25 })
    expect(where("Code = '4625'")).toEqual({ field: "Code", op: "=", value: "4625" })
  })

  it("unescapes '' inside a quoted string and keeps keywords and spaces in it literally", () => {
    expect(where("Message = 'it''s done'")).toEqual({ field: "Message", op: "=", value: "it's done" })
    expect(where("Message = ''")).toEqual({ field: "Message", op: "=", value: "" })
    expect(where("Message = ''''")).toEqual({ field: "Message", op: "=", value: "'" })
    expect(where("Message = 'a AND b OR (c)'")).toEqual({ field: "Message", op: "=", value: "a AND b OR (c)" })
  })

  it("AND binds tighter than OR", () => {
    expect(where("Name = 'a' OR Name = 'b' AND Name = 'c'")).toEqual({ or: [nameIs("a"), { and: [nameIs("b"), nameIs("c")] }] })
    expect(where("Name = 'a' AND Name = 'b' OR Name = 'c'")).toEqual({ or: [{ and: [nameIs("a"), nameIs("b")] }, nameIs("c")] })
  })

  it("parentheses override precedence", () => {
    expect(where("(Name = 'a' OR Name = 'b') AND Name = 'c'")).toEqual({ and: [{ or: [nameIs("a"), nameIs("b")] }, nameIs("c")] })
    expect(where("((Name = 'a'))")).toEqual(nameIs("a"))
  })

  it("NOT binds tighter than AND and applies to a parenthesised group", () => {
    expect(where("NOT Name = 'a' AND Name = 'b'")).toEqual({ and: [{ not: nameIs("a") }, nameIs("b")] })
    expect(where("NOT (Name = 'a' OR Name = 'b')")).toEqual({ not: { or: [nameIs("a"), nameIs("b")] } })
    expect(where("NOT NOT Name = 'a'")).toEqual({ not: { not: nameIs("a") } })
  })

  it("chains of AND or OR become one flat node", () => {
    expect(where("Name = 'a' AND Name = 'b' AND Name = 'c'")).toEqual({ and: [nameIs("a"), nameIs("b"), nameIs("c")] })
    expect(where("Name = 'a' OR Name = 'b' OR Name = 'c'")).toEqual({ or: [nameIs("a"), nameIs("b"), nameIs("c")] })
  })

  it("IN takes a list of strings and numbers", () => {
    expect(where("DestinationPort IN (22, 3389)")).toEqual({ field: "DestinationPort", op: "in", values: [22, 3389] })
    expect(where("DeviceAction in ('deny','drop', 1)")).toEqual({ field: "DeviceAction", op: "in", values: ["deny", "drop", 1] })
    expect(where("DeviceAction IN ('deny')")).toEqual({ field: "DeviceAction", op: "in", values: ["deny"] })
  })

  it("LIKE with % at the ends becomes contains, startsWith, endsWith or equality", () => {
    expect(where("RequestUrl LIKE '%/admin%'")).toEqual({ field: "RequestUrl", op: "contains", value: "/admin" })
    expect(where("RequestUrl LIKE 'https://%'")).toEqual({ field: "RequestUrl", op: "startsWith", value: "https://" })
    expect(where("RequestUrl LIKE '%.php'")).toEqual({ field: "RequestUrl", op: "endsWith", value: ".php" })
    expect(where("RequestUrl LIKE '/index'")).toEqual({ field: "RequestUrl", op: "=", value: "/index" })
  })

  it("LIKE '%' and '%%' match every string value", () => {
    for (const pattern of ["'%'", "'%%'"]) {
      const predicate = compileFilter(where(`Name LIKE ${pattern}`))
      expect(predicate(makeEvent({ Name: "anything" }))).toBe(true)
      expect(predicate(makeEvent({ Name: "" }))).toBe(true)
      expect(predicate(makeEvent({}))).toBe(false)
    }
  })

  it("IS NULL is the negation of exists and IS NOT NULL is exists", () => {
    expect(where("SourceUserName IS NULL")).toEqual({ not: { field: "SourceUserName", op: "exists" } })
    expect(where("SourceUserName is not null")).toEqual({ field: "SourceUserName", op: "exists" })
  })

  it("reads the whole filter language: text operators, match, inSubnet, exists, Extra entries, NOT IN", () => {
    expect(where("Message contains 'fail' AND Name startsWith 'A' AND Name endsWith 'z'")).toEqual({
      and: [
        { field: "Message", op: "contains", value: "fail" },
        { field: "Name", op: "startsWith", value: "A" },
        { field: "Name", op: "endsWith", value: "z" }
      ]
    })
    expect(where("match(Message, '(?i)^fail') OR inSubnet(SourceAddress, '10.0.0.0/8', 'fd00::/8')")).toEqual({
      or: [
        { field: "Message", op: "match", pattern: "(?i)^fail" },
        { field: "SourceAddress", op: "inSubnet", cidrs: ["10.0.0.0/8", "fd00::/8"] }
      ]
    })
    expect(where("exists(FileHash) AND Extra.agent = 'x' AND DestinationPort NOT IN (22)")).toEqual({
      and: [
        { field: "FileHash", op: "exists" },
        { field: "Extra.agent", op: "=", value: "x" },
        { not: { field: "DestinationPort", op: "in", values: [22] } }
      ]
    })
  })

  it("a parsed WHERE clause selects the events the query describes", () => {
    const predicate = compileFilter(
      where("(EventOutcome = 'failure' OR Name LIKE 'auth%') AND NOT SourceAddress IN ('10.0.0.1') AND DestinationPort >= 22")
    )
    expect(predicate(makeEvent({ EventOutcome: "failure", SourceAddress: "10.0.0.9", DestinationPort: 22 }))).toBe(true)
    expect(predicate(makeEvent({ Name: "auth denied", DestinationPort: 3389 }))).toBe(true)
    expect(predicate(makeEvent({ EventOutcome: "failure", SourceAddress: "10.0.0.1", DestinationPort: 22 }))).toBe(false)
    expect(predicate(makeEvent({ EventOutcome: "failure", DestinationPort: 21 }))).toBe(false)
    expect(predicate(makeEvent({ Name: "other", DestinationPort: 22 }))).toBe(false)
  })
})

describe("EventSql ORDER BY and LIMIT", () => {
  it("ORDER BY takes fields with ASC (the default, as in SQL) or DESC; no ORDER BY means newest first", () => {
    expect(parsed("SELECT * FROM events ORDER BY Timestamp ASC").orderBy).toEqual([{ name: "Timestamp", direction: "asc" }])
    expect(parsed("SELECT * FROM events ORDER BY Timestamp DESC").orderBy).toEqual([{ name: "Timestamp", direction: "desc" }])
    expect(parsed("SELECT * FROM events ORDER BY Timestamp").orderBy).toEqual([{ name: "Timestamp", direction: "asc" }])
    expect(parsed("SELECT * FROM events").orderBy).toEqual([])
    expect(parsed("SELECT Name FROM events ORDER BY BytesOut DESC, Name").orderBy).toEqual([
      { name: "BytesOut", direction: "desc" },
      { name: "Name", direction: "asc" }
    ])
  })

  it("ORDER BY a list field, an unknown field or the same key twice is rejected at that key", () => {
    const list = rejected("SELECT * FROM events ORDER BY BaseEventIDs")
    expect([list.column, list.expected]).toEqual([31, "a field with one value (not a list or the whole Extra map)"])
    expect(rejected("SELECT * FROM events ORDER BY Bogus").column).toBe(31)
    const twice = rejected("SELECT * FROM events ORDER BY Name, Name DESC")
    expect([twice.column, twice.expected]).toEqual([37, "a key not already in ORDER BY"])
  })

  it("LIMIT accepts whole numbers from 1 to MaxLimit", () => {
    expect(MaxLimit).toBe(10_000)
    expect(parsed("SELECT * FROM events LIMIT 1").limit).toBe(1)
    expect(parsed("SELECT * FROM events LIMIT 10000").limit).toBe(MaxLimit)
    expect(parsed("SELECT * FROM events WHERE Name = 'a' ORDER BY Timestamp ASC LIMIT 42").limit).toBe(42)
  })

  it("LIMIT out of bounds, fractional, negative or not a number is rejected at the value", () => {
    for (const bad of ["0", "10001", "1.5", "-1", "'10'", "ten"]) {
      const error = rejected(`SELECT * FROM events LIMIT ${bad}`)
      expect(error.expected, bad).toBe("a whole number from 1 to 10000")
      expect([error.line, error.column], bad).toEqual([1, 28])
    }
    expect(rejected("SELECT * FROM events LIMIT").expected).toBe("a whole number from 1 to 10000")
  })
})

describe("EventSql aggregates and GROUP BY", () => {
  it("reads count(*), count, sum, min, max and avg with default and AS names", () => {
    const query = parsed("SELECT DeviceProduct, count(*), COUNT(SourceAddress) AS sources, sum(BytesOut), min(Timestamp), max(Name), avg(BytesIn) AS meanIn FROM events GROUP BY DeviceProduct")
    expect(query.aggregated).toBe(true)
    expect(query.groupBy).toEqual(["DeviceProduct"])
    expect(query.select).toEqual([
      { kind: "field", field: "DeviceProduct", name: "DeviceProduct" },
      { kind: "aggregate", fn: "count", field: undefined, name: "count(*)" },
      { kind: "aggregate", fn: "count", field: "SourceAddress", name: "sources" },
      { kind: "aggregate", fn: "sum", field: "BytesOut", name: "sum(BytesOut)" },
      { kind: "aggregate", fn: "min", field: "Timestamp", name: "min(Timestamp)" },
      { kind: "aggregate", fn: "max", field: "Name", name: "max(Name)" },
      { kind: "aggregate", fn: "avg", field: "BytesIn", name: "meanIn" }
    ])
  })

  it("aggregates without GROUP BY make one group; GROUP BY takes several fields and Extra entries", () => {
    expect(parsed("SELECT count(*) FROM events WHERE Type = 4")).toMatchObject({ aggregated: true, groupBy: [] })
    expect(parsed("SELECT Extra.site, Name, count(*) FROM events GROUP BY Extra.site, Name").groupBy).toEqual(["Extra.site", "Name"])
    expect(parsed("SELECT Name FROM events GROUP BY Name").aggregated).toBe(true)
  })

  it("ORDER BY in a grouped query takes a column name, an aggregate as written or a grouped field", () => {
    const base = "SELECT DeviceProduct AS product, count(*) AS hits, sum(BytesOut) FROM events GROUP BY DeviceProduct, Name"
    expect(parsed(`${base} ORDER BY hits DESC`).orderBy).toEqual([{ name: "hits", direction: "desc" }])
    expect(parsed(`${base} ORDER BY count(*) DESC, product`).orderBy).toEqual([
      { name: "hits", direction: "desc" },
      { name: "product", direction: "asc" }
    ])
    expect(parsed(`${base} ORDER BY SUM(BytesOut)`).orderBy).toEqual([{ name: "sum(BytesOut)", direction: "asc" }])
    expect(parsed(`${base} ORDER BY Name DESC`).orderBy).toEqual([{ name: "Name", direction: "desc" }])
  })

  it("refuses, at the offending token, what SQL would refuse or the data cannot answer", () => {
    const cases: Array<[string, number, string]> = [
      ["SELECT * FROM events GROUP BY Name", 22, "a column list instead of * with GROUP BY"],
      ["SELECT Name, count(*) FROM events", 8, "an aggregate, or Name in GROUP BY"],
      ["SELECT Name, count(*) FROM events GROUP BY DeviceProduct", 8, "an aggregate, or Name in GROUP BY"],
      ["SELECT sum(Name) FROM events", 12, "a numeric field for sum"],
      ["SELECT avg(SourceAddress) FROM events", 12, "a numeric field for avg"],
      ["SELECT median(BytesIn) FROM events", 8, "an aggregate function (count, sum, min, max, avg) or a field"],
      ["SELECT count(BaseEventIDs) FROM events", 14, "a field with one value (not a list or the whole Extra map)"],
      ["SELECT count(*) FROM events GROUP BY Extra", 38, "a field with one value (not a list or the whole Extra map)"],
      ["SELECT count(*) FROM events GROUP BY Name, Name", 44, "a field not already in GROUP BY"],
      ["SELECT count(*), count(*) FROM events", 18, "a distinct column name (add AS <name>)"],
      ["SELECT count(*) AS n FROM events ORDER BY Name", 43, "a column of the result (a GROUP BY field, an aggregate or its name)"],
      ["SELECT count(*) AS FROM events", 20, "a column name (letters, digits, _)"],
      ["SELECT count(* FROM events", 16, "')'"]
    ]
    for (const [query, column, expected] of cases) {
      const error = rejected(query)
      expect([error.column, error.expected], query).toEqual([column, expected])
    }
    expect(rejected("SELECT count(*) FROM events ORDER BY max(Name)").expected).toContain("max(Name) is not selected")
  })
})

describe("EventSql errors", () => {
  it("returns an EventSqlError value, tagged, with the position in its message", () => {
    const error = rejected("SELECT * FROM events WHERE Foo = 1")
    expect(error).toBeInstanceOf(EventSqlError)
    expect(error._tag).toBe("EventSqlError")
    expect(error.message).toBe("line 1, column 28: expected an event field, found Foo")
  })

  it("an unknown field in SELECT or WHERE points at the field", () => {
    const inSelect = rejected("SELECT Name, Bogus FROM events")
    expect([inSelect.line, inSelect.column, inSelect.expected]).toEqual([1, 14, "an event field or Extra.<key>"])
    const inWhere = rejected("SELECT * FROM events WHERE sourceAddress = '1.2.3.4'")
    expect([inWhere.line, inWhere.column, inWhere.expected]).toEqual([1, 28, "an event field"])
  })

  it("a missing FROM or a table other than events is rejected", () => {
    const noFrom = rejected("SELECT * events")
    expect([noFrom.line, noFrom.column, noFrom.expected]).toEqual([1, 10, "FROM"])
    expect(noFrom.message).toContain("found events")
    const otherTable = rejected("SELECT * FROM alerts")
    expect([otherTable.column, otherTable.expected]).toEqual([15, "the table events"])
    const noTable = rejected("SELECT * FROM")
    expect([noTable.column, noTable.expected]).toEqual([14, "the table events"])
    expect(noTable.message).toContain("found end of query")
  })

  it("anything but SELECT at the start is rejected at 1:1", () => {
    for (const query of ["", "DELETE FROM events", "  UPDATE events"]) {
      const error = rejected(query)
      expect(error.expected, query).toBe("SELECT")
      expect(error.line).toBe(1)
    }
    expect(rejected("DELETE FROM events").column).toBe(1)
    expect(rejected("  UPDATE events").column).toBe(3)
  })

  it("an unterminated string is reported at its opening quote", () => {
    const error = rejected("SELECT * FROM events WHERE Name = 'abc")
    expect([error.line, error.column, error.expected]).toEqual([1, 35, "closing quote"])
    // A doubled quote at the end is an escaped quote, not the closing one.
    expect(rejected("SELECT * FROM events WHERE Name = 'abc''").expected).toBe("closing quote")
  })

  it("trailing garbage after a complete query is rejected at its first token", () => {
    const afterLimit = rejected("SELECT * FROM events LIMIT 5 5")
    expect([afterLimit.column, afterLimit.expected]).toEqual([30, "end of query"])
    const afterWhere = rejected("SELECT * FROM events WHERE Name = 'a' Name = 'b'")
    expect([afterWhere.column, afterWhere.expected]).toEqual([39, "end of query"])
    const extraParen = rejected("SELECT * FROM events WHERE Name = 'a')")
    expect([extraParen.column, extraParen.expected]).toEqual([38, "end of query"])
  })

  it("a character outside the language is rejected where it stands", () => {
    const error = rejected("SELECT * FROM events WHERE Name = 'a'; DROP TABLE events")
    expect([error.column, error.expected]).toEqual([38, "a field, value or operator"])
    expect(error.message).toContain("found ';'")
  })

  it("a missing operator, value or closing parenthesis says what was expected", () => {
    const noOperator = rejected("SELECT * FROM events WHERE Name 'x'")
    expect(noOperator.expected).toBe("a comparison (=, !=, <, <=, >, >=), IN, LIKE, IS, contains, startsWith or endsWith")
    expect(noOperator.column).toBe(33)
    const noValue = rejected("SELECT * FROM events WHERE Name = AND")
    expect([noValue.column, noValue.expected]).toEqual([35, "a quoted string or a number"])
    const noClose = rejected("SELECT * FROM events WHERE (Name = 'a'")
    expect([noClose.column, noClose.expected]).toEqual([39, "')'"])
    const badIn = rejected("SELECT * FROM events WHERE Name IN 'a'")
    expect(badIn.expected).toBe("'('")
    const badNull = rejected("SELECT * FROM events WHERE Name IS 'a'")
    expect(badNull.expected).toBe("NULL")
  })

  it("a LIKE pattern with wildcards inside, or that is not a string, is rejected", () => {
    expect(rejected("SELECT * FROM events WHERE Name LIKE 'a%b'").expected).toBe("a pattern with % only at its ends")
    expect(rejected("SELECT * FROM events WHERE Name LIKE 'a_b'").expected).toBe("a pattern with % only at its ends")
    const numeric = rejected("SELECT * FROM events WHERE Name LIKE 5")
    expect([numeric.column, numeric.expected]).toEqual([38, "a quoted LIKE pattern"])
  })

  it("variables and active lists, which a search does not have, are rejected where they stand", () => {
    const inField = rejected("SELECT * FROM events WHERE $score > 5")
    expect([inField.column, inField.expected]).toEqual([28, "an event field (variables are not available here)"])
    const inValue = rejected("SELECT * FROM events WHERE Name = $user")
    expect([inValue.column, inValue.expected]).toEqual([35, "a quoted string or a number (variables are not available here)"])
    const activeList = rejected("SELECT * FROM events WHERE inActiveList('blocked', SourceAddress)")
    expect([activeList.column, activeList.expected]).toEqual([28, "a field, a variable or '(' (active lists are not available here)"])
  })

  it("an invalid regular expression or CIDR range is rejected at its string, with the reason", () => {
    const pattern = rejected("SELECT * FROM events\nWHERE match(Message, 'a(b')")
    expect([pattern.line, pattern.column, pattern.expected]).toEqual([2, 22, "a valid RE2 regular expression"])
    expect(pattern.message).toContain("missing closing )")
    const cidr = rejected("SELECT * FROM events WHERE inSubnet(SourceAddress, '10.0.0.0/33')")
    expect([cidr.column, cidr.expected]).toEqual([52, "a CIDR range such as '10.0.0.0/8' or 'fd00::/8'"])
  })

  it("reports line and column of errors in a multi-line query", () => {
    const error = rejected("SELECT Name\nFROM events\nWHERE Name = 'x'\n  AND Nmae = 'y'")
    expect([error.line, error.column, error.expected]).toEqual([4, 7, "an event field"])
    expect(error.message).toBe("line 4, column 7: expected an event field, found Nmae")
    const unterminated = rejected("SELECT *\nFROM events\nWHERE Message = 'spans\nlines")
    expect([unterminated.line, unterminated.column]).toEqual([3, 17])
  })
})

// Renders a filter as SQL, so parsing the rendering can be checked against the tree.
const quote = (value: string | number): string => (typeof value === "number" ? String(value) : `'${value.replaceAll("'", "''")}'`)
const render = (filter: Filter): string => {
  if ("and" in filter) return filter.and.map((part) => `(${render(part)})`).join(" AND ")
  if ("or" in filter) return filter.or.map((part) => `(${render(part)})`).join(" OR ")
  if ("not" in filter) return `NOT (${render(filter.not)})`
  switch (filter.op) {
    case "exists":
      return `${filter.field} IS NOT NULL`
    case "in":
      return `${filter.field} IN (${filter.values.map(quote).join(", ")})`
    case "contains":
      return `${filter.field} LIKE ${quote(`%${filter.value}%`)}`
    case "startsWith":
      return `${filter.field} LIKE ${quote(`${filter.value}%`)}`
    case "endsWith":
      return `${filter.field} LIKE ${quote(`%${filter.value}`)}`
    case "match":
    case "inSubnet":
    case "inActiveList":
      throw new Error(`the property below does not generate ${filter.op}`)
    default:
      if (typeof filter.value === "object") throw new Error("the property below does not generate variables")
      return `${filter.field} ${filter.op} ${quote(filter.value)}`
  }
}

const fieldArbitrary = fc.constantFrom("Name", "Message", "SourcePort")
const textArbitrary = fc.constantFrom("a", "b", "it's", "x y", "AND", "(")
const valueArbitrary = fc.oneof(textArbitrary, fc.constantFrom<string | number>(-3, 0, 22, 1.5))
const leafArbitrary: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ field: fieldArbitrary, op: fc.constantFrom("=", "!=", "<", "<=", ">", ">="), value: valueArbitrary }),
  fc.record({ field: fieldArbitrary, op: fc.constantFrom("contains", "startsWith", "endsWith"), value: textArbitrary }),
  fc.record({ field: fieldArbitrary, op: fc.constant("in" as const), values: fc.array(valueArbitrary, { minLength: 1, maxLength: 3 }) }),
  fc.record({ field: fieldArbitrary, op: fc.constant("exists" as const) })
)
const { filter: filterArbitrary } = fc.letrec<{ filter: Filter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArbitrary,
    fc.array(tie("filter"), { minLength: 1, maxLength: 3 }).map((and): Filter => ({ and })),
    fc.array(tie("filter"), { minLength: 1, maxLength: 3 }).map((or): Filter => ({ or })),
    tie("filter").map((not): Filter => ({ not }))
  )
}))
const eventArbitrary = fc
  .record(
    {
      Name: fc.constantFrom("", "a", "b", "ab", "it's", "x y", "AND"),
      Message: fc.constantFrom("a", "(", "x y z"),
      SourcePort: fc.constantFrom(-3, 0, 1, 22, 80)
    },
    { requiredKeys: [] }
  )
  .map((fields) => makeEvent(fields as Partial<NormalizedEvent>))

describe("EventSql properties", () => {
  it("a rendered filter parses back to a filter that selects the same events", () => {
    fc.assert(
      fc.property(filterArbitrary, fc.array(eventArbitrary, { minLength: 1, maxLength: 6 }), (filter, events) => {
        const query = parsed(`SELECT * FROM events WHERE ${render(filter)}`)
        const original = compileFilter(filter)
        const roundTripped = compileFilter(query.filter)
        for (const event of events) expect(roundTripped(event)).toBe(original(event))
      }),
      { numRuns: 300 }
    )
  })

  it("any input string yields a query or an EventSqlError with a position inside the input, never a throw", () => {
    const sqlish = fc.array(
      fc.oneof(
        fc.constantFrom("SELECT", "*", "FROM", "events", "WHERE", "Name", "=", "'a'", "'", "(", ")", "AND", "OR", "NOT", "IN", "LIKE", "IS", "NULL", "LIMIT", "5", ",", "\n", " "),
        fc.string({ maxLength: 4 })
      ),
      { maxLength: 14 }
    )
    fc.assert(
      fc.property(fc.oneof(fc.string(), sqlish.map((parts) => parts.join(" "))), (source) => {
        const result = parseEventSql(source)
        if (result instanceof EventSqlError) {
          const lines = source.split("\n")
          expect(result.line).toBeGreaterThanOrEqual(1)
          expect(result.line).toBeLessThanOrEqual(lines.length)
          expect(result.column).toBeGreaterThanOrEqual(1)
          expect(result.column).toBeLessThanOrEqual(lines[result.line - 1]!.length + 1)
          expect(result.expected.length).toBeGreaterThan(0)
        } else {
          expect(result.limit).toBeGreaterThanOrEqual(1)
          expect(result.limit).toBeLessThanOrEqual(MaxLimit)
        }
      }),
      { numRuns: 1000 }
    )
  })
})
