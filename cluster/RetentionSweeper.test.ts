// Retention: a pass removes whole days older than each tenant's retention, leaves tenants without
// one alone, and records each expiry as a type 4 event of the main tenant that a search finds.
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { TenantId } from "../model/Ids.ts"
import { MainTenantId, type Tenant } from "../model/Tenant.ts"
import * as DuckDb from "../storage/embedded/DuckDb.ts"
import * as DuckDbEventStore from "../storage/embedded/DuckDbEventStore.ts"
import { EventStore } from "../storage/EventStore.ts"
import { parseEventSql, type EventSql } from "../storage/query/EventSql.ts"
import { runEventSearch } from "../storage/query/EventSearch.ts"
import { makeEvent } from "../test/support/makeEvent.ts"
import { sweep } from "./RetentionSweeper.ts"

const day = 86_400_000
const now = Date.parse("2026-06-10T12:00:00Z")
const shortLived = TenantId.make("short")
const keeper = TenantId.make("keeper")
const tenants: Array<Tenant> = [
  { id: MainTenantId, name: "Main", main: true },
  { id: shortLived, name: "Short", main: false, retentionDays: 2 },
  { id: keeper, name: "Keeper", main: false }
]

const sql = (text: string) => parseEventSql(text) as EventSql

describe("RetentionSweeper", () => {
  layer(Layer.provide(DuckDbEventStore.layerEmbedded, DuckDb.layer(":memory:")))((it) => {
    it.effect("expires whole days past retention, keeps the rest and tenants without retention, and audits it", () =>
      Effect.gen(function* () {
        const store = yield* EventStore
        const old = [makeEvent({ TenantID: shortLived, Timestamp: now - 5 * day }), makeEvent({ TenantID: shortLived, Timestamp: now - 3 * day })]
        const recent = makeEvent({ TenantID: shortLived, Timestamp: now - 1 * day })
        const kept = makeEvent({ TenantID: keeper, Timestamp: now - 30 * day })
        yield* store.write([...old, recent, kept])
        yield* TestClock.setTime(now)

        const expired = yield* sweep(tenants)
        expect(expired.map((entry) => [entry.tenantId, entry.partitions])).toEqual([[shortLived, 2]])
        const period = { from: now - 60 * day, to: now + day }
        const left = yield* store.search({ tenantIds: [shortLived, keeper], ...period, filter: { and: [] }, limit: 10, order: "asc" })
        expect(left.map((event) => event.ID)).toEqual([kept.ID, recent.ID])

        const audit = yield* runEventSearch(sql("SELECT Name, Message, Extra.tenantID FROM events WHERE Type = 4"), { tenantIds: [MainTenantId], ...period })
        if (audit.kind !== "events") throw new Error("expected events")
        expect(audit.events).toHaveLength(1)
        expect(audit.events[0]).toMatchObject({ TenantID: MainTenantId, Type: 4, Name: "storage partition deleted on expiry", Extra: { tenantID: shortLived, partitions: "2" } })
        // The audit is the main tenant's: the expired tenant's own users do not see it.
        const asTenant = yield* runEventSearch(sql("SELECT count(*) FROM events WHERE Type = 4"), { tenantIds: [shortLived], ...period })
        expect(asTenant).toEqual({ kind: "groups", columns: expect.anything(), rows: [[0]] })

        // Nothing left to expire: no second audit event.
        expect(yield* sweep(tenants)).toEqual([])
        const audits = yield* runEventSearch(sql("SELECT count(*) FROM events WHERE Type = 4"), { tenantIds: [MainTenantId], ...period })
        expect(audits.kind === "groups" && audits.rows).toEqual([[1]])
      }))
  })
})
