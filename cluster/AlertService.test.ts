import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Layer, Option, TestClock } from "effect"
import type { Correlation } from "../actors/Correlation.ts"
import { AlertId, CorrelatorId, RuleId, TenantId } from "../model/Ids.ts"
import type { Incident } from "../model/Incident.ts"
import { IncidentId } from "../model/IncidentId.ts"
import { AlertStore } from "../storage/AlertStore.ts"
import { IncidentStore } from "../storage/IncidentStore.ts"
import { SettingsStore } from "../storage/SettingsStore.ts"
import * as DuckDb from "../storage/embedded/DuckDb.ts"
import { makeEvent } from "../test/support/makeEvent.ts"
import * as AlertService from "./AlertService.ts"
import * as NodeLayers from "./NodeLayers.ts"

const tenant = TenantId.make("main")
const firing = (groupKey: string, index: number): Correlation => ({
  correlatorId: CorrelatorId.make("soc"),
  ruleId: RuleId.make("guessing"),
  groupKey,
  trigger: "onSubsequentThresholds",
  createAlert: true,
  sendTo: [],
  event: makeEvent({ TenantID: tenant, Type: 2, Timestamp: 1_000 + index, BaseEventIDs: [crypto.randomUUID()] })
})

const store = NodeLayers.embeddedStores.pipe(Layer.provide(DuckDb.layer(":memory:")))

describe("AlertService.record", () => {
  it.effect("two services recording the same firings at once (a handover overlap) put each in exactly one alert, one alert per group", () =>
    Effect.gen(function* () {
      const firings = Array.from({ length: 40 }, (_, index) => firing(`10.0.0.${index % 3}`, index))
      // Each "service" records every firing in order; the two interleave freely.
      const service = Effect.forEach(firings, (one) => AlertService.record(one), { discard: true })
      yield* Effect.all([service, service, service], { concurrency: "unbounded" })
      const alerts = yield* (yield* AlertStore).list({ tenantIds: [tenant], ids: [], statuses: [], timestampField: "lastSeen", page: 1, pageSize: 100 })
      expect(alerts).toHaveLength(3)
      const recorded = alerts.flatMap((alert) => alert.correlationEventIDs)
      expect([...recorded].sort()).toEqual(firings.map((one) => one.event.ID).sort())
      for (const alert of alerts) expect(new Set(alert.correlationEventIDs.map((id) => firings.find((one) => one.event.ID === id)!.groupKey)).size).toBe(1)
    }).pipe(Effect.provide(store)))

  it.effect("a firing recorded again (a redelivery) changes nothing", () =>
    Effect.gen(function* () {
      const first = firing("10.9.9.9", 1)
      const second = firing("10.9.9.9", 2)
      for (const one of [first, second, first, second]) yield* AlertService.record(one)
      const alerts = yield* (yield* AlertStore).list({ tenantIds: [tenant], ids: [], statuses: [], timestampField: "lastSeen", page: 1, pageSize: 100 })
      expect(alerts.map((alert) => alert.correlationEventIDs)).toEqual([[first.event.ID, second.event.ID]])
    }).pipe(Effect.provide(store)))
})

describe("AlertService.record links new alerts to incidents", () => {
  it.effect("a new alert affecting a host of an open incident of its tenant joins it and is escalated; another tenant's incident on the same host takes nothing", () =>
    Effect.gen(function* () {
      const incidents = yield* IncidentStore
      const now = yield* Clock.currentTimeMillis
      const incident = (id: string, tenantID: TenantId): Incident => ({
        id: IncidentId.make(id),
        tenantID,
        name: "web server compromise",
        priority: "high",
        category: "",
        type: "",
        description: "",
        status: "open",
        alertIDs: [],
        affectedAssets: ["web-01"],
        affectedAccounts: [],
        createdAt: now,
        updatedAt: now
      })
      yield* incidents.save(incident("3f2504e0-4f89-41d3-9a0c-0305e82c3301", TenantId.make("other")))
      yield* incidents.save(incident("3f2504e0-4f89-41d3-9a0c-0305e82c3302", tenant))
      const firingOnHost: Correlation = { ...firing("10.7.7.7", 1), event: makeEvent({ TenantID: tenant, Type: 2, Timestamp: now, SourceHostName: "web-01", BaseEventIDs: [crypto.randomUUID()] }) }
      yield* AlertService.record(firingOnHost)
      const [alert] = yield* (yield* AlertStore).list({ tenantIds: [tenant], ids: [], statuses: [], timestampField: "lastSeen", page: 1, pageSize: 10 })
      expect(alert!.affectedAssets).toEqual(["web-01"])
      expect(alert!.status).toBe("escalated")
      expect(Option.getOrUndefined(yield* incidents.incidentOfAlert(tenant, alert!.id))).toBe("3f2504e0-4f89-41d3-9a0c-0305e82c3302")
      const foreign = yield* incidents.get(TenantId.make("other"), IncidentId.make("3f2504e0-4f89-41d3-9a0c-0305e82c3301"))
      expect(Option.getOrThrow(foreign).alertIDs).toEqual([])
    }).pipe(Effect.provide(store))
  )
})

describe("AlertService.record follows the tenant's automatic-linking settings", () => {
  const Day = 86_400_000
  const openIncident = (id: string, tenantID: TenantId, updatedAt: number): Incident => ({
    id: IncidentId.make(id),
    tenantID,
    name: "db server compromise",
    priority: "high",
    category: "",
    type: "",
    description: "",
    status: "open",
    alertIDs: [],
    affectedAssets: ["db-01"],
    affectedAccounts: [],
    createdAt: updatedAt,
    updatedAt
  })
  const firingOn = (tenantID: TenantId, groupKey: string, at: number): Correlation => ({
    ...firing(groupKey, 1),
    event: makeEvent({ TenantID: tenantID, Type: 2, Timestamp: at, SourceHostName: "db-01", BaseEventIDs: [crypto.randomUUID()] })
  })
  const saveSettings = (tenantID: TenantId, enabled: boolean, days: number) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.flatMap(SettingsStore, (settings) => settings.save({ tenantID, incidents: { autoLink: { enabled, days } }, updatedAt: now, updatedBy: "admin" })))
  const linkedIncidentOf = (tenantID: TenantId, alert: Correlation) =>
    Effect.flatMap(IncidentStore, (incidents) => incidents.incidentOfAlert(tenantID, AlertId.make(alert.event.ID))).pipe(Effect.map(Option.getOrUndefined))

  it.effect("a tenant that turned automatic linking off keeps its new alerts unlinked, while a tenant without settings links with the node's window", () =>
    Effect.gen(function* () {
      const off = TenantId.make("linking-off")
      const unset = TenantId.make("linking-unset")
      const now = yield* Clock.currentTimeMillis
      yield* Effect.flatMap(IncidentStore, (incidents) =>
        Effect.all([incidents.save(openIncident("3f2504e0-4f89-41d3-9a0c-0305e82c3401", off, now)), incidents.save(openIncident("3f2504e0-4f89-41d3-9a0c-0305e82c3402", unset, now))])
      )
      yield* saveSettings(off, false, 30)
      const offFiring = firingOn(off, "10.1.1.1", now)
      const unsetFiring = firingOn(unset, "10.1.1.2", now)
      yield* AlertService.record(offFiring, { autoLinkWindowDays: 7 })
      yield* AlertService.record(unsetFiring, { autoLinkWindowDays: 7 })
      expect(yield* linkedIncidentOf(off, offFiring)).toBeUndefined()
      expect(Option.getOrThrow(yield* (yield* AlertStore).get(off, AlertId.make(offFiring.event.ID))).alert.status).toBe("new")
      expect(yield* linkedIncidentOf(unset, unsetFiring)).toBe("3f2504e0-4f89-41d3-9a0c-0305e82c3402")
    }).pipe(Effect.provide(store)))

  it.effect("a tenant's window replaces the node's: an incident last updated 10 days ago takes the alert with 30 days set, not with the node's 7 alone", () =>
    Effect.gen(function* () {
      const wide = TenantId.make("linking-wide")
      const narrow = TenantId.make("linking-narrow")
      yield* TestClock.setTime(100 * Day)
      const now = yield* Clock.currentTimeMillis
      yield* Effect.flatMap(IncidentStore, (incidents) =>
        Effect.all([incidents.save(openIncident("3f2504e0-4f89-41d3-9a0c-0305e82c3411", wide, now - 10 * Day)), incidents.save(openIncident("3f2504e0-4f89-41d3-9a0c-0305e82c3412", narrow, now - 10 * Day))])
      )
      yield* saveSettings(wide, true, 30)
      const wideFiring = firingOn(wide, "10.2.2.1", now)
      const narrowFiring = firingOn(narrow, "10.2.2.2", now)
      yield* AlertService.record(wideFiring, { autoLinkWindowDays: 7 })
      yield* AlertService.record(narrowFiring, { autoLinkWindowDays: 7 })
      expect(yield* linkedIncidentOf(wide, wideFiring)).toBe("3f2504e0-4f89-41d3-9a0c-0305e82c3411")
      expect(yield* linkedIncidentOf(narrow, narrowFiring)).toBeUndefined()
    }).pipe(Effect.provide(store)))

  it.effect("a changed setting takes effect once the cached one is SettingsMaxAgeMillis old, not before", () =>
    Effect.gen(function* () {
      const tenantID = TenantId.make("linking-changed")
      const cache = AlertService.makeSettingsCache()
      const now = yield* Clock.currentTimeMillis
      yield* Effect.flatMap(IncidentStore, (incidents) => incidents.save(openIncident("3f2504e0-4f89-41d3-9a0c-0305e82c3421", tenantID, now)))
      yield* saveSettings(tenantID, false, 7)
      const first = firingOn(tenantID, "10.3.3.1", now)
      yield* AlertService.record(first, {}, cache)
      expect(yield* linkedIncidentOf(tenantID, first)).toBeUndefined()
      yield* saveSettings(tenantID, true, 7)
      const cachedStill = firingOn(tenantID, "10.3.3.2", now)
      yield* AlertService.record(cachedStill, {}, cache)
      expect(yield* linkedIncidentOf(tenantID, cachedStill)).toBeUndefined()
      yield* TestClock.adjust(AlertService.SettingsMaxAgeMillis)
      const afterwards = firingOn(tenantID, "10.3.3.3", now)
      yield* AlertService.record(afterwards, {}, cache)
      expect(yield* linkedIncidentOf(tenantID, afterwards)).toBe("3f2504e0-4f89-41d3-9a0c-0305e82c3421")
    }).pipe(Effect.provide(store)))
})
