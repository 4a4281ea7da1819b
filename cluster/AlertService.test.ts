import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Layer, Option } from "effect"
import type { Correlation } from "../actors/Correlation.ts"
import { CorrelatorId, RuleId, TenantId } from "../model/Ids.ts"
import type { Incident } from "../model/Incident.ts"
import { IncidentId } from "../model/IncidentId.ts"
import { AlertStore } from "../storage/AlertStore.ts"
import { IncidentStore } from "../storage/IncidentStore.ts"
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
