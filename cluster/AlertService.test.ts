import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { Correlation } from "../actors/Correlation.ts"
import { CorrelatorId, RuleId, TenantId } from "../model/Ids.ts"
import { AlertStore } from "../storage/AlertStore.ts"
import * as DuckDb from "../storage/embedded/DuckDb.ts"
import * as DuckDbAlertStore from "../storage/embedded/DuckDbAlertStore.ts"
import { makeEvent } from "../test/support/makeEvent.ts"
import * as AlertService from "./AlertService.ts"

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

const store = DuckDbAlertStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:")))

describe("AlertService.record", () => {
  it.effect("two services recording the same firings at once (a handover overlap) put each in exactly one alert, one alert per group", () =>
    Effect.gen(function* () {
      const firings = Array.from({ length: 40 }, (_, index) => firing(`10.0.0.${index % 3}`, index))
      // Each "service" records every firing in order; the two interleave freely.
      const service = Effect.forEach(firings, AlertService.record, { discard: true })
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
