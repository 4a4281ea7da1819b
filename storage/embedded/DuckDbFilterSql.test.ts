// The pushed-down SQL never loses a match: on random filters and events, the rows DuckDB selects
// include every event the compiled filter accepts, and are exactly those when the push is exact.
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope } from "effect"
import * as fc from "fast-check"
import type { NormalizedEvent } from "../../model/Event.ts"
import type { Filter } from "../../model/Filter.ts"
import { compileFilter } from "../../model/FilterCompiler.ts"
import { makeEvent } from "../../test/support/makeEvent.ts"
import { EventStore } from "../EventStore.ts"
import * as DuckDb from "./DuckDb.ts"
import * as DuckDbEventStore from "./DuckDbEventStore.ts"
import { pushFilter } from "./DuckDbFilterSql.ts"

const constants = fc.constantFrom<string | number>("a", "ab", "b", "", "10", "080", "9", "x10", "1.5", "é", "😀", 0, 1, 9, 10, 80, 1.5, -3)
const fields = fc.constantFrom("Name", "Message", "SourcePort", "BytesIn", "Type", "Timestamp", "TenantID", "Extra.agent", "BaseEventIDs", "SourceAddress")
const leaf: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ field: fields, op: fc.constantFrom("=", "!=", "<", "<=", ">", ">=", "contains", "startsWith", "endsWith"), value: constants }),
  fc.record({ field: fields, op: fc.constant("in" as const), values: fc.array(constants, { maxLength: 3 }) }),
  fc.record({ field: fields, op: fc.constant("exists" as const) }),
  fc.record({ field: fields, op: fc.constant("match" as const), pattern: fc.constantFrom("^a", "b$", "(?i)A", "1") }),
  fc.record({ field: fc.constant("SourceAddress"), op: fc.constant("inSubnet" as const), cidrs: fc.constant(["10.0.0.0/8"] as [string]) })
)
const { filter: filterArbitrary } = fc.letrec<{ filter: Filter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("filter"), { maxLength: 3 }).map((and): Filter => ({ and })),
    fc.array(tie("filter"), { maxLength: 3 }).map((or): Filter => ({ or })),
    tie("filter").map((not): Filter => ({ not }))
  )
}))

// A fixed population covering missing, empty, numeric-looking and non-ASCII values.
const population: Array<NormalizedEvent> = fc
  .sample(
    fc.record(
      {
        Name: fc.constantFrom("", "a", "ab", "b", "10", "9", "é", "😀a"),
        Message: fc.constantFrom("", "x10", "1.5", "ab"),
        SourcePort: fc.constantFrom(0, 1, 9, 10, 80),
        BytesIn: fc.constantFrom(0, 1.5, 9, -3),
        SourceAddress: fc.constantFrom("10.0.0.1", "11.0.0.1", ""),
        Extra: fc.record({ agent: fc.constantFrom("a", "10") }, { requiredKeys: [] }),
        BaseEventIDs: fc.subarray(["a", "10"])
      },
      { requiredKeys: [] }
    ),
    { numRuns: 300, seed: 7 }
  )
  .map((fields, index) => makeEvent({ ...(fields as Partial<NormalizedEvent>), Timestamp: 1_000 + index, Type: (index % 3) + 1, TenantID: index % 2 === 0 ? "a" : "b" } as Partial<NormalizedEvent>))

let scope: Scope.CloseableScope
let db: DuckDb.DuckDbShape

beforeAll(async () => {
  scope = await Effect.runPromise(Scope.make())
  const context = await Effect.runPromise(
    Layer.buildWithScope(Layer.merge(DuckDbEventStore.layerEmbedded.pipe(Layer.provideMerge(DuckDb.layer(":memory:"))), Layer.empty), scope)
  )
  db = context.unsafeMap.get(DuckDb.DuckDb.key) as DuckDb.DuckDbShape
  const store = context.unsafeMap.get(EventStore.key) as typeof EventStore.Service
  await Effect.runPromise(store.write(population))
})
afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

const selectedIds = async (filter: Filter): Promise<{ ids: Set<string>; exact: boolean } | undefined> => {
  const pushed = pushFilter(filter)
  if (pushed === undefined) return undefined
  const rows = await Effect.runPromise(db.query(`SELECT id FROM events WHERE ${pushed.sql}`, [...pushed.params]))
  return { ids: new Set(rows.map((row) => String(row.id))), exact: pushed.exact }
}

describe("DuckDbFilterSql", () => {
  it("selects a superset of the compiled filter's matches, and the same set when exact", async () => {
    let exactSeen = 0
    await fc.assert(
      fc.asyncProperty(filterArbitrary, async (filter) => {
        const matches = compileFilter(filter)
        const expected = population.filter(matches).map((event) => event.ID)
        const selected = await selectedIds(filter)
        if (selected === undefined) return
        for (const id of expected) expect(selected.ids.has(id)).toBe(true)
        if (selected.exact) {
          exactSeen++
          expect(selected.ids.size).toBe(expected.length)
        }
      }),
      { numRuns: 600, seed: 11 }
    )
    // The property is only worth something if exact pushes were exercised.
    expect(exactSeen).toBeGreaterThan(100)
  })

  it("pushes typed equality, ranges on numbers, IN and text tests; leaves regexes, subnets, lists and Extra to Node", () => {
    expect(pushFilter({ field: "EventOutcome", op: "=", value: "failure" })).toEqual({
      sql: "COALESCE(json_extract_string(body, '$.EventOutcome') = ?, false)",
      params: ["failure"],
      exact: true
    })
    expect(pushFilter({ field: "Type", op: "=", value: 4 })).toEqual({ sql: "type = ?", params: [4], exact: true })
    expect(pushFilter({ field: "Name", op: "match", pattern: "x" })).toBeUndefined()
    expect(pushFilter({ field: "SourceAddress", op: "inSubnet", cidrs: ["10.0.0.0/8"] })).toBeUndefined()
    expect(pushFilter({ field: "BaseEventIDs", op: "=", value: "x" })).toBeUndefined()
    expect(pushFilter({ field: "Extra.site", op: "=", value: "x" })).toBeUndefined()
    const partial = pushFilter({ and: [{ field: "Type", op: "=", value: 1 }, { field: "Name", op: "match", pattern: "x" }] })
    expect(partial).toEqual({ sql: "(type = ?)", params: [1], exact: false })
    expect(pushFilter({ not: { and: [{ field: "Type", op: "=", value: 1 }, { field: "Name", op: "match", pattern: "x" }] } })).toBeUndefined()
  })

  it("values are bound parameters: quotes and SQL in a constant stay data", async () => {
    const hostile = "x' OR '1'='1"
    const pushed = pushFilter({ field: "Name", op: "=", value: hostile })!
    expect(pushed.sql).not.toContain(hostile)
    expect(await selectedIds({ field: "Name", op: "=", value: hostile })).toEqual({ ids: new Set(), exact: true })
  })
})
