// The AlertStore contract: embedded (DuckDB) and Cassandra must behave the same.
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import type { Alert } from "../../model/Alert.ts"
import { AlertId, CorrelatorId, TenantId } from "../../model/Ids.ts"
import { AlertStore, type AlertQuery } from "../../storage/AlertStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const alert = (tenant: TenantId, overrides: Partial<Alert> = {}): Alert => ({
  id: AlertId.make(randomUUID()),
  tenantID: tenant,
  name: "Password guessing",
  correlatorID: CorrelatorId.make("soc"),
  correlationRuleID: "password-guessing",
  groupKey: "10.0.0.1",
  groupedBy: ["SourceAddress"],
  status: "new",
  priority: 9,
  firstSeen: 1_000,
  lastSeen: 2_000,
  updatedAt: 2_500,
  correlationEventIDs: [randomUUID()],
  baseEventIDs: [randomUUID(), randomUUID()],
  ...overrides
})

const query = (tenantIds: ReadonlyArray<TenantId>, overrides: Partial<AlertQuery> = {}): AlertQuery => ({
  tenantIds,
  ids: [],
  statuses: [],
  timestampField: "lastSeen",
  page: 1,
  pageSize: 250,
  ...overrides
})

export const alertStoreContract = (name: string, storeLayer: Layer.Layer<AlertStore, unknown>) =>
  describe(`AlertStore contract: ${name}`, () => {
    layer(storeLayer, { timeout: "120 seconds", excludeTestServices: true })((it) => {
      it.effect("saves an alert and reads it back only through its own tenant", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const saved = alert(tenant, { assignee: "alice" })
          yield* store.save(saved)
          expect(yield* store.get(tenant, saved.id)).toEqual(Option.some(saved))
          expect(yield* store.get(TenantId.make(`t${uniqueSuffix()}`), saved.id)).toEqual(Option.none())
        }).pipe(Effect.orDie))

      it.effect("replaces an alert saved again with the same id", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const first = alert(tenant)
          yield* store.save(first)
          const closed: Alert = { ...first, status: "closed", closingReason: "responded", lastSeen: 3_000 }
          yield* store.save(closed)
          expect(yield* store.get(tenant, first.id)).toEqual(Option.some(closed))
          expect(yield* store.list(query([tenant]))).toEqual([closed])
        }).pipe(Effect.orDie))

      it.effect("finds the latest alert of a group", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const group = { tenantId: tenant, correlatorId: CorrelatorId.make("soc"), ruleId: "password-guessing", groupKey: "10.0.0.9" }
          expect(yield* store.latestForGroup(group)).toEqual(Option.none())
          const older = alert(tenant, { groupKey: group.groupKey, status: "closed" })
          const newer = alert(tenant, { groupKey: group.groupKey })
          yield* store.save(older)
          yield* store.save(newer)
          expect(yield* store.latestForGroup(group)).toEqual(Option.some(newer))
          expect(yield* store.latestForGroup({ ...group, groupKey: "other" })).toEqual(Option.none())
        }).pipe(Effect.orDie))

      it.effect("lists alerts of the named tenants, newest first, with id, status, time and name filters and pages", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const other = TenantId.make(`t${uniqueSuffix()}`)
          const alerts = Array.from({ length: 7 }, (_, i) =>
            alert(tenant, { lastSeen: 10_000 + i, firstSeen: 5_000 + i, status: i % 3 === 0 ? "closed" : "new", name: i === 4 ? "Port scan" : "Password guessing" })
          )
          for (const saved of alerts) yield* store.save(saved)
          yield* store.save(alert(other))
          const all = yield* store.list(query([tenant]))
          expect(all.map((a) => a.lastSeen)).toEqual([10_006, 10_005, 10_004, 10_003, 10_002, 10_001, 10_000])
          expect((yield* store.list(query([tenant], { statuses: ["closed"] }))).map((a) => a.lastSeen)).toEqual([10_006, 10_003, 10_000])
          expect((yield* store.list(query([tenant], { ids: [alerts[2]!.id] })))).toEqual([alerts[2]])
          expect((yield* store.list(query([tenant], { from: 10_002, to: 10_004 }))).map((a) => a.lastSeen)).toEqual([10_004, 10_003, 10_002])
          expect((yield* store.list(query([tenant], { timestampField: "firstSeen", from: 5_005 }))).map((a) => a.firstSeen)).toEqual([5_006, 5_005])
          expect((yield* store.list(query([tenant], { name: /port/i }))).map((a) => a.name)).toEqual(["Port scan"])
          expect((yield* store.list(query([tenant], { pageSize: 3, page: 2 }))).map((a) => a.lastSeen)).toEqual([10_003, 10_002, 10_001])
          expect((yield* store.list(query([tenant, other]))).length).toBe(8)
          expect(yield* store.list(query([]))).toEqual([])
        }).pipe(Effect.orDie))

      it.effect("pages end exactly: the last page is partial, the one after it empty; an unknown tenant lists nothing", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          for (let i = 0; i < 5; i++) yield* store.save(alert(tenant, { lastSeen: 20_000 + i }))
          expect((yield* store.list(query([tenant], { pageSize: 2, page: 3 }))).map((a) => a.lastSeen)).toEqual([20_000])
          expect(yield* store.list(query([tenant], { pageSize: 2, page: 4 }))).toEqual([])
          expect(yield* store.list(query([tenant], { pageSize: 5, page: 1 }))).toHaveLength(5)
          expect(yield* store.list(query([tenant], { pageSize: 5, page: 2 }))).toEqual([])
          expect(yield* store.list(query([TenantId.make(`t${uniqueSuffix()}`)]))).toEqual([])
          expect(yield* store.list(query([tenant], { from: 30_000 }))).toEqual([])
        }).pipe(Effect.orDie))

      it.effect("concurrent saves of the same alert id leave one alert, one of the versions saved", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const base = alert(tenant)
          const versions = Array.from({ length: 8 }, (_, i): Alert => ({ ...base, lastSeen: base.lastSeen + i, updatedAt: base.updatedAt + i }))
          yield* Effect.forEach(versions, (version) => store.save(version), { concurrency: "unbounded" })
          const listed = yield* store.list(query([tenant]))
          expect(listed).toHaveLength(1)
          expect(versions).toContainEqual(listed[0])
          expect(yield* store.get(tenant, base.id)).toEqual(Option.some(listed[0]))
        }).pipe(Effect.orDie))
    })
  })
