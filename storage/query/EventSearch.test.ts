// The search executor over the embedded store: groups, aggregates, ordering by any key, limits,
// and the planner's narrowing, which may only ever shrink the caller's tenants and period.
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { NormalizedEvent } from "../../model/Event.ts"
import { TenantId } from "../../model/Ids.ts"
import { makeEvent } from "../../test/support/makeEvent.ts"
import * as DuckDb from "../embedded/DuckDb.ts"
import * as DuckDbEventStore from "../embedded/DuckDbEventStore.ts"
import { EventStore } from "../EventStore.ts"
import { EventSqlError, parseEventSql } from "./EventSql.ts"
import { narrowScope, runEventSearch, type SearchScope } from "./EventSearch.ts"

const alpha = TenantId.make("alpha")
const beta = TenantId.make("beta")
const t0 = Date.parse("2026-05-01T00:00:00Z")

const events: Array<NormalizedEvent> = [
  makeEvent({ TenantID: alpha, Timestamp: t0 + 1, DeviceProduct: "fw", BytesOut: 100, EventOutcome: "failure", Name: "b" }),
  makeEvent({ TenantID: alpha, Timestamp: t0 + 2, DeviceProduct: "fw", BytesOut: 300, EventOutcome: "failure", Name: "a" }),
  makeEvent({ TenantID: alpha, Timestamp: t0 + 3, DeviceProduct: "proxy", BytesOut: 50, EventOutcome: "success", Name: "c" }),
  makeEvent({ TenantID: alpha, Timestamp: t0 + 4, DeviceProduct: "proxy", EventOutcome: "failure", Name: "d", Extra: { site: "paris" } }),
  makeEvent({ TenantID: alpha, Timestamp: t0 + 5, EventOutcome: "failure", BytesOut: 7, Extra: { site: "oslo" } }),
  makeEvent({ TenantID: beta, Timestamp: t0 + 6, DeviceProduct: "fw", BytesOut: 1_000_000, EventOutcome: "failure" })
]

const scope = (overrides: Partial<SearchScope> = {}): SearchScope => ({ tenantIds: [alpha], from: t0, to: t0 + 60_000, ...overrides })

const run = (sql: string, within: SearchScope = scope()) =>
  Effect.gen(function* () {
    const parsed = parseEventSql(sql)
    if (parsed instanceof EventSqlError) return yield* Effect.die(parsed)
    return yield* runEventSearch(parsed, within)
  })

const rows = (sql: string, within?: SearchScope) =>
  Effect.map(run(sql, within), (outcome) => (outcome.kind === "groups" ? outcome.rows : outcome.events.map((event) => event.ID)))

const storeLayer = Layer.provide(DuckDbEventStore.layerEmbedded, DuckDb.layer(":memory:"))

describe("EventSearch", () => {
  layer(storeLayer)((it) => {
    it.effect("writes the fixture", () => Effect.flatMap(EventStore, (store) => store.write(events)))

    it.effect("count(*) GROUP BY with ORDER BY an aggregate, only the caller's tenant counted", () =>
      Effect.gen(function* () {
        expect(yield* rows("SELECT DeviceProduct, count(*) AS hits FROM events GROUP BY DeviceProduct ORDER BY hits DESC, DeviceProduct")).toEqual([
          ["fw", 2],
          ["proxy", 2],
          [null, 1]
        ])
      }))

    it.effect("sum, avg, min and max skip missing values; a group with none gives null", () =>
      Effect.gen(function* () {
        expect(
          yield* rows("SELECT DeviceProduct, sum(BytesOut), avg(BytesOut), min(BytesOut), max(Name), count(BytesOut) FROM events GROUP BY DeviceProduct")
        ).toEqual([
          ["fw", 400, 200, 100, "b", 2],
          ["proxy", 50, 50, 50, "d", 1],
          [null, 7, 7, 7, null, 1]
        ])
      }))

    it.effect("a WHERE filter applies before grouping; GROUP BY an Extra entry", () =>
      Effect.gen(function* () {
        expect(yield* rows("SELECT Extra.site, count(*) FROM events WHERE EventOutcome = 'failure' GROUP BY Extra.site ORDER BY Extra.site")).toEqual([
          ["oslo", 1],
          ["paris", 1],
          [null, 2]
        ])
      }))

    it.effect("aggregates without GROUP BY give one row, also when nothing matches", () =>
      Effect.gen(function* () {
        expect(yield* rows("SELECT count(*), sum(BytesOut) FROM events")).toEqual([[5, 457]])
        expect(yield* rows("SELECT count(*), sum(BytesOut) FROM events WHERE Name = 'nobody'")).toEqual([[0, null]])
        expect(yield* rows("SELECT count(*) FROM events", scope({ tenantIds: [] }))).toEqual([[0]])
        expect(yield* rows("SELECT Name, count(*) FROM events WHERE Name = 'nobody' GROUP BY Name")).toEqual([])
      }))

    it.effect("LIMIT cuts the sorted groups", () =>
      Effect.gen(function* () {
        expect(yield* rows("SELECT Name, count(*) FROM events GROUP BY Name ORDER BY Name DESC LIMIT 2")).toEqual([
          ["d", 1],
          ["c", 1]
        ])
      }))

    it.effect("events ORDER BY any field keeps the top of the whole period, missing values last", () =>
      Effect.gen(function* () {
        const ids = (indexes: Array<number>) => indexes.map((index) => events[index]!.ID)
        expect(yield* rows("SELECT * FROM events ORDER BY BytesOut DESC LIMIT 3")).toEqual(ids([1, 0, 2]))
        expect(yield* rows("SELECT * FROM events ORDER BY BytesOut LIMIT 10")).toEqual(ids([4, 2, 0, 1, 3]))
        expect(yield* rows("SELECT * FROM events ORDER BY Timestamp LIMIT 2")).toEqual(ids([0, 1]))
        expect(yield* rows("SELECT * FROM events LIMIT 2")).toEqual(ids([4, 3]))
      }))

    it.effect("TenantID and Timestamp conditions narrow the scan but never widen the caller's tenants", () =>
      Effect.gen(function* () {
        expect(yield* rows("SELECT count(*) FROM events WHERE TenantID = 'beta'")).toEqual([[0]])
        expect(yield* rows("SELECT count(*) FROM events WHERE TenantID = 'beta' OR TenantID != 'beta'")).toEqual([[5]])
        expect(yield* rows("SELECT count(*) FROM events WHERE TenantID IN ('alpha', 'beta')", scope({ tenantIds: [alpha, beta] }))).toEqual([[6]])
        expect(yield* rows("SELECT count(*) FROM events WHERE TenantID = 'beta'", scope({ tenantIds: [alpha, beta] }))).toEqual([[1]])
        expect(yield* rows(`SELECT count(*) FROM events WHERE Timestamp > ${t0 + 3}`)).toEqual([[2]])
      }))
  })
})

describe("narrowScope", () => {
  const within = { tenantIds: [alpha, beta], from: 100, to: 200 }
  it("intersects with TenantID = / IN and Timestamp bounds of top-level AND conditions only", () => {
    expect(narrowScope(within, { field: "TenantID", op: "=", value: "beta" })).toEqual({ ...within, tenantIds: [beta] })
    expect(narrowScope(within, { field: "TenantID", op: "in", values: ["gamma"] })).toEqual({ ...within, tenantIds: [] })
    expect(narrowScope(within, { or: [{ field: "TenantID", op: "=", value: "beta" }] })).toEqual(within)
    expect(narrowScope(within, { not: { field: "TenantID", op: "=", value: "beta" } })).toEqual(within)
    expect(
      narrowScope(within, {
        and: [
          { field: "Timestamp", op: ">=", value: 120 },
          { field: "Timestamp", op: "<", value: 150 },
          { field: "Timestamp", op: ">", value: 50 }
        ]
      })
    ).toEqual({ ...within, from: 120, to: 149 })
    expect(narrowScope(within, { field: "Timestamp", op: "=", value: 300 })).toEqual({ ...within, from: 300, to: 200 })
  })
})
