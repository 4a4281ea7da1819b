// The IncidentStore contract: embedded (DuckDB) and Cassandra must behave the same, down to
// alert links, tenant isolation and paging.
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Either, Layer, Option } from "effect"
import { randomUUID } from "node:crypto"
import { AlertId, TenantId } from "../../model/Ids.ts"
import type { Incident } from "../../model/Incident.ts"
import { IncidentId } from "../../model/IncidentId.ts"
import { AlertAlreadyLinked, IncidentNotFound, IncidentStore, type IncidentQuery } from "../../storage/IncidentStore.ts"
import { uniqueSuffix } from "../support/testIds.ts"

const newTenant = () => TenantId.make(`t${uniqueSuffix()}`)
const newAlertId = () => AlertId.make(randomUUID())

const incident = (tenant: TenantId, overrides: Partial<Incident> = {}): Incident => ({
  id: IncidentId.make(randomUUID()),
  tenantID: tenant,
  name: "Lateral movement from 10.0.0.5",
  priority: "high",
  category: "intrusion",
  type: "lateral-movement",
  description: "Several hosts reached over SMB with one account",
  status: "open",
  alertIDs: [],
  affectedAssets: ["web-1"],
  affectedAccounts: ["svc-backup"],
  createdAt: 1_000,
  updatedAt: 2_000,
  ...overrides
})

const query = (tenantIds: ReadonlyArray<TenantId>, overrides: Partial<IncidentQuery> = {}): IncidentQuery => ({
  tenantIds,
  ids: [],
  statuses: [],
  page: 1,
  pageSize: 250,
  ...overrides
})

export const incidentStoreContract = (name: string, storeLayer: Layer.Layer<IncidentStore, unknown>) =>
  describe(`IncidentStore contract: ${name}`, () => {
    layer(storeLayer, { timeout: "120 seconds", excludeTestServices: true })((it) => {
      it.effect("saves an incident and reads it back only through its own tenant; unknown ids are missing", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const saved = incident(tenant, { assignee: "alice", status: "assigned" })
          yield* store.save(saved)
          expect(yield* store.get(tenant, saved.id)).toEqual(Option.some(saved))
          expect(yield* store.get(newTenant(), saved.id)).toEqual(Option.none())
          expect(yield* store.get(tenant, IncidentId.make(randomUUID()))).toEqual(Option.none())
          // Any spelling of a UUID names the same incident.
          expect(yield* store.get(tenant, IncidentId.make(saved.id.toUpperCase()))).toEqual(Option.some(saved))
        }).pipe(Effect.orDie))

      it.effect("keeps optional fields absent and round-trips a closed, merged incident", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const target = incident(tenant)
          const merged = incident(tenant, { status: "closed", closingReason: "merged", mergedInto: target.id, priority: "critical", affectedAssets: [], affectedAccounts: [] })
          yield* store.save(target)
          yield* store.save(merged)
          const read = Option.getOrThrow(yield* store.get(tenant, target.id))
          expect(read).toEqual(target)
          expect("assignee" in read || "closingReason" in read || "mergedInto" in read).toBe(false)
          expect(yield* store.get(tenant, merged.id)).toEqual(Option.some(merged))
        }).pipe(Effect.orDie))

      it.effect("replaces an incident saved again, and concurrent saves of one id end as one row", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const first = incident(tenant)
          yield* store.save(first)
          const closed: Incident = { ...first, status: "closed", closingReason: "responded", updatedAt: 3_000 }
          yield* store.save(closed)
          expect(yield* store.get(tenant, first.id)).toEqual(Option.some(closed))
          const versions = Array.from({ length: 8 }, (_, i) => ({ ...first, name: `version ${i}`, updatedAt: 4_000 + i }))
          yield* Effect.all(versions.map(store.save), { concurrency: "unbounded", discard: true })
          const listed = yield* store.list(query([tenant]))
          expect(listed).toHaveLength(1)
          expect(versions).toContainEqual(listed[0])
          expect(yield* store.get(tenant, first.id)).toEqual(Option.some(listed[0]))
        }).pipe(Effect.orDie))

      it.effect("lists the named tenants' incidents newest first with id, status and name filters, and pages to the end", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const other = newTenant()
          const incidents = Array.from({ length: 7 }, (_, i) =>
            incident(tenant, { updatedAt: 10_000 + i, status: i % 3 === 0 ? "closed" : "open", name: i === 4 ? "Port SCAN of DMZ" : "Password guessing" })
          )
          for (const saved of incidents) yield* store.save(saved)
          const foreign = incident(other, { updatedAt: 20_000, name: "Port scan elsewhere" })
          yield* store.save(foreign)
          const times = (found: ReadonlyArray<Incident>) => found.map((i) => i.updatedAt)
          expect(times(yield* store.list(query([tenant])))).toEqual([10_006, 10_005, 10_004, 10_003, 10_002, 10_001, 10_000])
          expect(times(yield* store.list(query([tenant], { statuses: ["closed"] })))).toEqual([10_006, 10_003, 10_000])
          expect(times(yield* store.list(query([tenant], { statuses: ["assigned"] })))).toEqual([])
          expect(yield* store.list(query([tenant], { ids: [incidents[2]!.id, incidents[5]!.id] }))).toEqual([incidents[5], incidents[2]])
          // A foreign or unknown id is simply not there.
          expect(yield* store.list(query([tenant], { ids: [foreign.id, IncidentId.make(randomUUID())] }))).toEqual([])
          expect((yield* store.list(query([tenant], { name: /port scan/i }))).map((i) => i.name)).toEqual(["Port SCAN of DMZ"])
          expect(yield* store.list(query([tenant], { name: /^no such incident$/i }))).toEqual([])
          // A global pattern keeps no position between incidents.
          expect(times(yield* store.list(query([tenant], { name: /password/gi })))).toEqual([10_006, 10_005, 10_003, 10_002, 10_001, 10_000])
          expect(times(yield* store.list(query([tenant], { pageSize: 3, page: 1 })))).toEqual([10_006, 10_005, 10_004])
          expect(times(yield* store.list(query([tenant], { pageSize: 3, page: 3 })))).toEqual([10_000])
          expect(yield* store.list(query([tenant], { pageSize: 3, page: 4 }))).toEqual([])
          expect(times(yield* store.list(query([tenant], { name: /password/i, pageSize: 2, page: 2 })))).toEqual([10_003, 10_002])
          expect(times(yield* store.list(query([tenant], { statuses: ["open"], pageSize: 2, page: 2 })))).toEqual([10_002, 10_001])
          expect(times(yield* store.list(query([tenant, other])))).toEqual([20_000, 10_006, 10_005, 10_004, 10_003, 10_002, 10_001, 10_000])
          expect(yield* store.list(query([other]))).toEqual([foreign])
          expect(yield* store.list(query([newTenant()]))).toEqual([])
          expect(yield* store.list(query([]))).toEqual([])
        }).pipe(Effect.orDie))

      it.effect("links an alert to one incident: again to the same one is a no-op, to another fails AlertAlreadyLinked", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const first = incident(tenant)
          const second = incident(tenant)
          yield* store.save(first)
          yield* store.save(second)
          const alertIds = [newAlertId(), newAlertId(), newAlertId()]
          for (const alertId of alertIds) yield* store.linkAlert(tenant, first.id, alertId)
          yield* store.linkAlert(tenant, first.id, alertIds[0]!)
          expect(Option.getOrThrow(yield* store.get(tenant, first.id)).alertIDs).toEqual([...alertIds].sort())
          const refused = yield* Effect.flip(store.linkAlert(tenant, second.id, alertIds[1]!))
          expect(refused).toEqual(new AlertAlreadyLinked({ alertId: alertIds[1]!, incidentId: first.id }))
          expect(yield* store.incidentOfAlert(tenant, alertIds[1]!)).toEqual(Option.some(first.id))
          expect(Option.getOrThrow(yield* store.get(tenant, second.id)).alertIDs).toEqual([])
          // The links show in lists as in gets.
          const listed = yield* store.list(query([tenant], { ids: [first.id] }))
          expect(listed.map((i) => i.alertIDs)).toEqual([[...alertIds].sort()])
        }).pipe(Effect.orDie))

      it.effect("refuses to link to an unknown incident or to another tenant's incident, as missing", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const other = newTenant()
          const foreign = incident(other)
          yield* store.save(foreign)
          const alertId = newAlertId()
          const unknownId = IncidentId.make(randomUUID())
          expect(yield* Effect.flip(store.linkAlert(tenant, unknownId, alertId))).toEqual(new IncidentNotFound({ incidentId: unknownId }))
          expect(yield* Effect.flip(store.linkAlert(tenant, foreign.id, alertId))).toEqual(new IncidentNotFound({ incidentId: foreign.id }))
          expect(yield* store.incidentOfAlert(tenant, alertId)).toEqual(Option.none())
          expect(yield* store.incidentOfAlert(other, alertId)).toEqual(Option.none())
          expect(Option.getOrThrow(yield* store.get(other, foreign.id)).alertIDs).toEqual([])
          // An unknown incident is not created by the failed link.
          expect(yield* store.get(tenant, unknownId)).toEqual(Option.none())
          expect(yield* store.list(query([tenant]))).toEqual([])
        }).pipe(Effect.orDie))

      it.effect("lets exactly one of several concurrent links of one alert to different incidents win", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const contenders = Array.from({ length: 4 }, () => incident(tenant))
          for (const contender of contenders) yield* store.save(contender)
          const alertId = newAlertId()
          const outcomes = yield* Effect.all(
            contenders.map((contender) => Effect.either(store.linkAlert(tenant, contender.id, alertId))),
            { concurrency: "unbounded" }
          )
          const winners = contenders.filter((_, i) => Either.isRight(outcomes[i]!))
          expect(winners).toHaveLength(1)
          const winner = winners[0]!
          for (const outcome of outcomes) {
            if (Either.isLeft(outcome)) expect(outcome.left).toEqual(new AlertAlreadyLinked({ alertId, incidentId: winner.id }))
          }
          expect(yield* store.incidentOfAlert(tenant, alertId)).toEqual(Option.some(winner.id))
          const holders = (yield* store.list(query([tenant]))).filter((i) => i.alertIDs.includes(alertId))
          expect(holders.map((i) => i.id)).toEqual([winner.id])
        }).pipe(Effect.orDie))

      it.effect("unlinks only from the incident that holds the alert; other unlinks change nothing", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const other = newTenant()
          const holder = incident(tenant)
          const bystander = incident(tenant)
          yield* store.save(holder)
          yield* store.save(bystander)
          const alertId = newAlertId()
          const kept = newAlertId()
          yield* store.linkAlert(tenant, holder.id, alertId)
          yield* store.linkAlert(tenant, holder.id, kept)
          // Not linked there, unknown incident, foreign tenant, never-linked alert: all no-ops.
          yield* store.unlinkAlert(tenant, bystander.id, alertId)
          yield* store.unlinkAlert(tenant, IncidentId.make(randomUUID()), alertId)
          yield* store.unlinkAlert(other, holder.id, alertId)
          yield* store.unlinkAlert(tenant, holder.id, newAlertId())
          expect(yield* store.incidentOfAlert(tenant, alertId)).toEqual(Option.some(holder.id))
          expect(Option.getOrThrow(yield* store.get(tenant, holder.id)).alertIDs).toEqual([alertId, kept].sort())
          expect(yield* store.list(query([other]))).toEqual([])
          yield* store.unlinkAlert(tenant, holder.id, alertId)
          yield* store.unlinkAlert(tenant, holder.id, alertId)
          expect(yield* store.incidentOfAlert(tenant, alertId)).toEqual(Option.none())
          expect(Option.getOrThrow(yield* store.get(tenant, holder.id)).alertIDs).toEqual([kept])
          // Once free, the alert may join another incident.
          yield* store.linkAlert(tenant, bystander.id, alertId)
          expect(yield* store.incidentOfAlert(tenant, alertId)).toEqual(Option.some(bystander.id))
          expect(Option.getOrThrow(yield* store.get(tenant, bystander.id)).alertIDs).toEqual([alertId])
        }).pipe(Effect.orDie))

      it.effect("answers which incident holds an alert only within the alert's tenant", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const other = newTenant()
          const saved = incident(tenant)
          yield* store.save(saved)
          const alertId = newAlertId()
          expect(yield* store.incidentOfAlert(tenant, alertId)).toEqual(Option.none())
          yield* store.linkAlert(tenant, saved.id, alertId)
          expect(yield* store.incidentOfAlert(tenant, alertId)).toEqual(Option.some(saved.id))
          expect(yield* store.incidentOfAlert(tenant, AlertId.make(alertId.toUpperCase()))).toEqual(Option.some(saved.id))
          expect(yield* store.incidentOfAlert(other, alertId)).toEqual(Option.none())
          // The same alert id in another tenant is a different alert with its own link.
          const foreign = incident(other)
          yield* store.save(foreign)
          yield* store.linkAlert(other, foreign.id, alertId)
          expect(yield* store.incidentOfAlert(other, alertId)).toEqual(Option.some(foreign.id))
          expect(yield* store.incidentOfAlert(tenant, alertId)).toEqual(Option.some(saved.id))
        }).pipe(Effect.orDie))

      it.effect("neither links nor unlinks on save: alertIDs always show the links", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const stray = newAlertId()
          const saved = incident(tenant, { alertIDs: [stray] })
          yield* store.save(saved)
          expect(Option.getOrThrow(yield* store.get(tenant, saved.id)).alertIDs).toEqual([])
          expect(yield* store.incidentOfAlert(tenant, stray)).toEqual(Option.none())
          const linked = newAlertId()
          yield* store.linkAlert(tenant, saved.id, linked)
          yield* store.save({ ...saved, alertIDs: [], status: "assigned", assignee: "bob", updatedAt: 9_000 })
          const read = Option.getOrThrow(yield* store.get(tenant, saved.id))
          expect(read.alertIDs).toEqual([linked])
          expect(read.assignee).toBe("bob")
        }).pipe(Effect.orDie))

      it.effect("finds open incidents of the tenant that share an asset or account and were updated since a time", () =>
        Effect.gen(function* () {
          const store = yield* IncidentStore
          const tenant = newTenant()
          const other = newTenant()
          const byAsset = incident(tenant, { updatedAt: 5_000, affectedAssets: ["db-1", "web-1"], affectedAccounts: [] })
          const byAccount = incident(tenant, { updatedAt: 6_000, status: "assigned", assignee: "alice", affectedAssets: [], affectedAccounts: ["root"] })
          const closed = incident(tenant, { updatedAt: 7_000, status: "closed", affectedAssets: ["web-1"], affectedAccounts: ["root"] })
          const stale = incident(tenant, { updatedAt: 3_999, affectedAssets: ["web-1"] })
          const unrelated = incident(tenant, { updatedAt: 8_000, affectedAssets: ["mail-1"], affectedAccounts: ["bob"] })
          const foreign = incident(other, { updatedAt: 9_000, affectedAssets: ["web-1"], affectedAccounts: ["root"] })
          for (const saved of [byAsset, byAccount, closed, stale, unrelated, foreign]) yield* store.save(saved)
          expect(yield* store.openIncidentsSharing(tenant, ["web-1"], ["root"], 4_000)).toEqual([byAccount, byAsset])
          expect(yield* store.openIncidentsSharing(tenant, ["web-1"], [], 4_000)).toEqual([byAsset])
          expect(yield* store.openIncidentsSharing(tenant, [], ["root"], 4_000)).toEqual([byAccount])
          // sinceMs is inclusive.
          expect(yield* store.openIncidentsSharing(tenant, ["web-1"], [], 3_999)).toEqual([byAsset, stale])
          expect(yield* store.openIncidentsSharing(tenant, ["web-1"], ["root"], 6_001)).toEqual([])
          expect(yield* store.openIncidentsSharing(tenant, ["WEB-1"], ["nobody"], 0)).toEqual([])
          expect(yield* store.openIncidentsSharing(tenant, [], [], 0)).toEqual([])
          expect(yield* store.openIncidentsSharing(other, ["web-1"], [], 0)).toEqual([foreign])
          expect(yield* store.openIncidentsSharing(newTenant(), ["web-1"], ["root"], 0)).toEqual([])
        }).pipe(Effect.orDie))
    })
  })
