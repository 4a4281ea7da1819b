// The AlertStore contract: embedded (DuckDB) and Cassandra must behave the same.
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import type { Alert } from "../../model/Alert.ts"
import { AlertId, CorrelatorId, TenantId } from "../../model/Ids.ts"
import { AlertChanged, AlertStore, type AlertQuery } from "../../storage/AlertStore.ts"
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
      it.effect("creates an alert at revision 1 and reads it back only through its own tenant; a second create of the id is refused", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const saved = alert(tenant, { assignee: "alice" })
          yield* store.create(saved)
          expect(yield* store.get(tenant, saved.id)).toEqual(Option.some({ alert: saved, revision: 1 }))
          expect(yield* store.get(TenantId.make(`t${uniqueSuffix()}`), saved.id)).toEqual(Option.none())
          const again = yield* Effect.flip(store.create({ ...saved, name: "other" }))
          expect(again).toEqual(new AlertChanged({ tenantId: tenant, id: saved.id }))
          expect(yield* store.get(tenant, saved.id)).toEqual(Option.some({ alert: saved, revision: 1 }))
        }).pipe(Effect.orDie))

      it.effect("updates an alert only at the revision it was read at, then at the next revision", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const first = alert(tenant)
          yield* store.create(first)
          const closed: Alert = { ...first, status: "closed", closingReason: "responded", lastSeen: 3_000 }
          yield* store.update(closed, 1)
          expect(yield* store.get(tenant, first.id)).toEqual(Option.some({ alert: closed, revision: 2 }))
          expect(yield* store.list(query([tenant]))).toEqual([closed])
          // A writer that read revision 1 lost the race: refused, nothing overwritten.
          expect(yield* Effect.flip(store.update({ ...first, assignee: "bob" }, 1))).toBeInstanceOf(AlertChanged)
          expect(yield* Effect.flip(store.update(alert(tenant), 1))).toBeInstanceOf(AlertChanged)
          expect(yield* store.get(tenant, first.id)).toEqual(Option.some({ alert: closed, revision: 2 }))
        }).pipe(Effect.orDie))

      it.effect("moves a group's pointer only from the alert it was read at; the head shows an alert not yet written as absent", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const group = { tenantId: tenant, correlatorId: CorrelatorId.make("soc"), ruleId: "password-guessing", groupKey: "10.0.0.9" }
          expect(yield* store.groupHead(group)).toEqual(Option.none())
          const older = alert(tenant, { groupKey: group.groupKey, status: "closed" })
          const newer = alert(tenant, { groupKey: group.groupKey })
          yield* store.pointGroup(older, undefined)
          expect(yield* store.groupHead(group)).toEqual(Option.some({ alertId: older.id, stored: Option.none() }))
          yield* store.create(older)
          expect(yield* store.groupHead(group)).toEqual(Option.some({ alertId: older.id, stored: Option.some({ alert: older, revision: 1 }) }))
          expect(yield* Effect.flip(store.pointGroup(newer, undefined))).toBeInstanceOf(AlertChanged)
          yield* store.pointGroup(newer, older.id)
          yield* store.create(newer)
          expect(yield* store.groupHead(group)).toEqual(Option.some({ alertId: newer.id, stored: Option.some({ alert: newer, revision: 1 }) }))
          expect(yield* Effect.flip(store.pointGroup(alert(tenant, { groupKey: group.groupKey }), older.id))).toBeInstanceOf(AlertChanged)
          expect(yield* store.groupHead({ ...group, groupKey: "other" })).toEqual(Option.none())
        }).pipe(Effect.orDie))

      it.effect("lists alerts of the named tenants, newest first, with id, status, time and name filters and pages", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const other = TenantId.make(`t${uniqueSuffix()}`)
          const alerts = Array.from({ length: 7 }, (_, i) =>
            alert(tenant, { lastSeen: 10_000 + i, firstSeen: 5_000 + i, status: i % 3 === 0 ? "closed" : "new", name: i === 4 ? "Port scan" : "Password guessing" })
          )
          for (const saved of alerts) yield* store.create(saved)
          yield* store.create(alert(other))
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
          for (let i = 0; i < 5; i++) yield* store.create(alert(tenant, { lastSeen: 20_000 + i }))
          expect((yield* store.list(query([tenant], { pageSize: 2, page: 3 }))).map((a) => a.lastSeen)).toEqual([20_000])
          expect(yield* store.list(query([tenant], { pageSize: 2, page: 4 }))).toEqual([])
          expect(yield* store.list(query([tenant], { pageSize: 5, page: 1 }))).toHaveLength(5)
          expect(yield* store.list(query([tenant], { pageSize: 5, page: 2 }))).toEqual([])
          expect(yield* store.list(query([TenantId.make(`t${uniqueSuffix()}`)]))).toEqual([])
          expect(yield* store.list(query([tenant], { from: 30_000 }))).toEqual([])
        }).pipe(Effect.orDie))

      it.effect("concurrent updates from one revision: exactly one applies, the others are refused", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const base = alert(tenant)
          yield* store.create(base)
          const versions = Array.from({ length: 8 }, (_, i): Alert => ({ ...base, lastSeen: base.lastSeen + i + 1, updatedAt: base.updatedAt + i }))
          const outcomes = yield* Effect.forEach(versions, (version) => Effect.either(store.update(version, 1)), { concurrency: "unbounded" })
          expect(outcomes.filter((outcome) => outcome._tag === "Right")).toHaveLength(1)
          const listed = yield* store.list(query([tenant]))
          expect(listed).toHaveLength(1)
          expect(versions).toContainEqual(listed[0])
          expect(yield* store.get(tenant, base.id)).toEqual(Option.some({ alert: listed[0], revision: 2 }))
        }).pipe(Effect.orDie))

      it.effect("concurrent read-modify-write loops that retry on AlertChanged lose no change", () =>
        Effect.gen(function* () {
          const store = yield* AlertStore
          const tenant = TenantId.make(`t${uniqueSuffix()}`)
          const base = alert(tenant, { correlationEventIDs: [] })
          yield* store.create(base)
          const append = (eventId: string) =>
            Effect.gen(function* () {
              const current = Option.getOrThrow(yield* store.get(tenant, base.id))
              yield* store.update({ ...current.alert, correlationEventIDs: [...current.alert.correlationEventIDs, eventId] }, current.revision)
            }).pipe(Effect.retry({ while: (error) => error._tag === "AlertChanged" }))
          const added = Array.from({ length: 6 }, () => randomUUID())
          yield* Effect.forEach(added, append, { concurrency: "unbounded" })
          const stored = Option.getOrThrow(yield* store.get(tenant, base.id))
          expect([...stored.alert.correlationEventIDs].sort()).toEqual([...added].sort())
          expect(stored.revision).toBe(7)
        }).pipe(Effect.orDie))
    })
  })
