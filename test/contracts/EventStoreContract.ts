// The EventStore contract: embedded (DuckDB) and Cassandra must behave the same.
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import type { NormalizedEvent } from "../../model/Event.ts"
import { TenantId } from "../../model/Ids.ts"
import { EventStore, type EventQuery } from "../../storage/EventStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const baseTime = Date.parse("2026-03-01T10:00:00Z")

const event = (tenant: TenantId, offsetMillis: number, fields: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  ID: randomUUID(),
  Timestamp: baseTime + offsetMillis,
  TenantID: tenant,
  Type: 1,
  ...fields
})

const query = (tenantIds: ReadonlyArray<TenantId>, overrides: Partial<EventQuery> = {}): EventQuery => ({
  tenantIds,
  from: baseTime - 3_600_000,
  to: baseTime + 3_600_000,
  filter: { and: [] },
  limit: 1_000,
  order: "desc",
  ...overrides
})

export const eventStoreContract = (name: string, storeLayer: Layer.Layer<EventStore, unknown>) =>
  describe(`EventStore contract: ${name}`, () => {
    layer(storeLayer, { timeout: "120 seconds", excludeTestServices: true })((it) => {
      it.effect("writes events and finds them by tenant and period, newest first", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          // Spread over three minutes so several time buckets are involved.
          const written = [event(tenant, 0), event(tenant, 61_000), event(tenant, 125_000)]
          yield* store.write(written)
          const found = yield* store.search(query([tenant]))
          expect(found.map((e) => e.ID)).toEqual([written[2]!.ID, written[1]!.ID, written[0]!.ID])
          const ascending = yield* store.search(query([tenant], { order: "asc" }))
          expect(ascending.map((e) => e.ID)).toEqual(written.map((e) => e.ID))
        }).pipe(Effect.orDie))

      it.effect("rewriting an event with the same ID keeps one row (idempotent writes)", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const once = event(tenant, 1_000, { Name: "login" })
          yield* store.write([once])
          yield* store.write([once, once])
          const found = yield* store.search(query([tenant]))
          expect(found).toHaveLength(1)
          expect(found[0]).toEqual(once)
        }).pipe(Effect.orDie))

      it.effect("a search sees only the tenants it names", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const mine = TenantId.make(`t${uniqueSuffix()}`)
          const theirs = TenantId.make(`t${uniqueSuffix()}`)
          yield* store.write([event(mine, 0), event(theirs, 0), event(theirs, 10)])
          const found = yield* store.search(query([mine]))
          expect(found.map((e) => e.TenantID)).toEqual([mine])
          const both = yield* store.search(query([mine, theirs]))
          expect(both).toHaveLength(3)
          expect(yield* store.search(query([]))).toEqual([])
        }).pipe(Effect.orDie))

      it.effect("applies the period (inclusive), the filter and the limit", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const events = Array.from({ length: 20 }, (_, i) =>
            event(tenant, i * 1_000, { SourceAddress: i % 2 === 0 ? "10.0.0.1" : "10.0.0.2", SourcePort: 1000 + i })
          )
          yield* store.write(events)
          const inPeriod = yield* store.search(query([tenant], { from: baseTime + 5_000, to: baseTime + 9_000 }))
          expect(inPeriod.map((e) => e.SourcePort)).toEqual([1009, 1008, 1007, 1006, 1005])
          const filtered = yield* store.search(query([tenant], { filter: { and: [{ field: "SourceAddress", op: "=", value: "10.0.0.2" }, { field: "SourcePort", op: ">=", value: 1015 }] } }))
          expect(filtered.map((e) => e.SourcePort)).toEqual([1019, 1017, 1015])
          const limited = yield* store.search(query([tenant], { limit: 3, order: "asc" }))
          expect(limited.map((e) => e.SourcePort)).toEqual([1000, 1001, 1002])
        }).pipe(Effect.orDie))

      it.effect("keeps every field of the normalized event", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const rich = event(tenant, 500, {
            Type: 2,
            Extra: { "agent.version": "1.2" },
            BaseEventIDs: [randomUUID(), randomUUID()],
            BaseEventCount: 2,
            GroupedBy: ["SourceAddress"],
            BytesIn: 12.5,
            Raw: "{\"quote\":\"'\"}"
          })
          yield* store.write([rich])
          expect(yield* store.search(query([tenant]))).toEqual([rich])
        }).pipe(Effect.orDie))

      it.effect("answers empty, not failing, for no tenants, an unknown tenant, an empty period and an empty write", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          yield* store.write([])
          yield* store.write([event(tenant, 0)])
          expect(yield* store.search(query([]))).toEqual([])
          expect(yield* store.search(query([TenantId.make(`nobody${uniqueSuffix()}`)]))).toEqual([])
          expect(yield* store.search(query([tenant], { from: baseTime + 1, to: baseTime + 60_000 }))).toEqual([])
          expect(yield* store.search(query([tenant], { filter: { field: "Name", op: "=", value: "absent" } }))).toEqual([])
        }).pipe(Effect.orDie))

      it.effect("pages to the exact end: a limit equal to, below and above the matches, across the stores' scan chunks", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          // More than one embedded scan chunk (5,000 rows), every tenth a match, over several buckets.
          const written = Array.from({ length: 6_200 }, (_, i) => event(tenant, i * 20, { Name: i % 10 === 0 ? "match" : "other" }))
          yield* store.write(written)
          const matches = written.filter((e) => e.Name === "match")
          const byName = { field: "Name", op: "=", value: "match" } as const
          const all = yield* store.search(query([tenant], { filter: byName, limit: 10_000, order: "asc" }))
          expect(all.map((e) => e.ID)).toEqual(matches.map((e) => e.ID))
          expect((yield* store.search(query([tenant], { filter: byName, limit: matches.length, order: "asc" }))).length).toBe(matches.length)
          const newest = yield* store.search(query([tenant], { filter: byName, limit: 7, order: "desc" }))
          expect(newest.map((e) => e.ID)).toEqual(matches.slice(-7).reverse().map((e) => e.ID))
          expect((yield* store.search(query([tenant], { limit: 10_000 }))).length).toBe(written.length)
        }).pipe(Effect.orDie))

      it.effect("concurrent writes of the same event ID keep exactly one row", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const same = event(tenant, 5_000, { Name: "raced" })
          const others = Array.from({ length: 20 }, (_, i) => event(tenant, 6_000 + i))
          yield* Effect.all(
            Array.from({ length: 8 }, (_, i) => store.write([same, ...others.slice(i, i + 3)])),
            { concurrency: "unbounded" }
          )
          const found = yield* store.search(query([tenant], { filter: { field: "Name", op: "=", value: "raced" } }))
          expect(found).toEqual([same])
          const ids = (yield* store.search(query([tenant]))).map((e) => e.ID)
          expect(new Set(ids).size).toBe(ids.length)
        }).pipe(Effect.orDie))

      it.effect("scan visits every match in order, in batches, and stops as soon as the visitor says so", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          // 90 seconds of events: several buckets, several shards each.
          const written = Array.from({ length: 300 }, (_, i) => event(tenant, i * 300, { Name: i % 3 === 0 ? "third" : "other" }))
          yield* store.write(written)
          const seen: Array<string> = []
          let batches = 0
          yield* store.scan({ ...query([tenant]), order: "asc" }, (events) => {
            batches++
            for (const e of events) seen.push(e.ID)
            return true
          })
          expect(seen).toEqual(written.map((e) => e.ID))
          expect(batches).toBeGreaterThan(0)
          let visits = 0
          yield* store.scan(query([tenant]), () => {
            visits++
            return false
          })
          expect(visits).toBe(1)
          // A condition a backend may push down and one it may not give the same events.
          const pushed = yield* store.search(query([tenant], { filter: { field: "Name", op: "=", value: "third" } }))
          const notPushed = yield* store.search(query([tenant], { filter: { field: "Name", op: "match", pattern: "^third$" } }))
          expect(pushed.map((e) => e.ID)).toEqual(notPushed.map((e) => e.ID))
          expect(pushed).toHaveLength(100)
        }).pipe(Effect.orDie))

      it.effect("expire removes whole days older than the cut-off, only for that tenant, and reports them", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const other = TenantId.make(`o${uniqueSuffix()}`)
          const day = 86_400_000
          const today = Math.floor(baseTime / day) * day
          const old = [event(tenant, -3 * day), event(tenant, -2 * day + 5_000), event(tenant, -(baseTime - today) - 1)]
          const kept = [event(tenant, 0), event(tenant, -(baseTime - today))]
          const foreign = event(other, -3 * day)
          yield* store.write([...old, ...kept, foreign])
          const everything = query([tenant, other], { from: baseTime - 4 * day, to: baseTime + day })
          expect(yield* store.search(everything)).toHaveLength(6)
          // The cut-off falls inside today: today stays whole, the three earlier days go.
          const expired = yield* store.expire(tenant, baseTime)
          expect(expired.tenantId).toBe(tenant)
          expect(expired.partitions).toBeGreaterThanOrEqual(3)
          expect(expired.from).toBeLessThanOrEqual(Math.min(...old.map((e) => e.Timestamp)))
          expect(expired.to).toBeGreaterThanOrEqual(Math.max(...old.map((e) => e.Timestamp)))
          const left = yield* store.search({ ...everything, order: "asc" })
          expect(left.map((e) => e.ID)).toEqual([foreign, ...kept.slice().reverse()].map((e) => e.ID))
          const again = yield* store.expire(tenant, baseTime)
          expect(again.partitions).toBe(0)
          // Writing into an expired day works again (the store forgets what it had indexed).
          yield* store.write([old[0]!])
          expect((yield* store.search({ ...everything, tenantIds: [tenant] })).map((e) => e.ID)).toContain(old[0]!.ID)
        }).pipe(Effect.orDie))

      it.effect("fails a search whose filter names an unknown field with an EventStoreError", () =>
        Effect.gen(function* () {
          const store = yield* EventStore
          const error = yield* store.search(query([TenantId.make("x")], { filter: { field: "NoSuchField", op: "=", value: 1 } })).pipe(Effect.flip)
          expect(error._tag).toBe("EventStoreError")
          expect(error.message).toContain("NoSuchField")
        }))
    })
  })
