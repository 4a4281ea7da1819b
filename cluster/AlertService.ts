// The alert service: consumes correlation events and makes or extends alerts of the
// correlator's tenant. Idempotent: a redelivered correlation event changes nothing.
import { Clock, Effect, Option } from "effect"
import type { Correlation } from "../actors/Correlation.ts"
import type { AlertId } from "../model/Ids.ts"
import { alreadyContains, canExtend, extendAlert, openAlert } from "../model/AlertLifecycle.ts"
import { AlertStore } from "../storage/AlertStore.ts"
import { EventBus } from "./EventBus.ts"
import { FenceBook } from "./FenceBook.ts"
import { Topics } from "./Topics.ts"

/** Applies one correlation to the alert store. */
export const record = (correlation: Correlation) =>
  Effect.gen(function* () {
    const store = yield* AlertStore
    const now = yield* Clock.currentTimeMillis
    const event = correlation.event
    const opened = yield* store.get(event.TenantID, event.ID as AlertId)
    if (Option.isSome(opened)) return
    const group = { correlatorId: correlation.correlatorId, ruleId: correlation.ruleId, groupKey: correlation.groupKey }
    const latest = yield* store.latestForGroup({ tenantId: event.TenantID, ...group })
    if (Option.isSome(latest) && alreadyContains(latest.value, event)) return
    if (Option.isSome(latest) && canExtend(latest.value, event)) {
      yield* store.save(extendAlert(latest.value, event, now))
      return
    }
    yield* store.save(openAlert(event, group, now))
  })

/** Starts the durable alert consumer in the current scope; stale partition owners' records are refused. */
export const start = Effect.gen(function* () {
  const bus = yield* EventBus
  const topics = yield* Topics
  const fences = new FenceBook()
  const stats = yield* bus.consume(topics.correlations, { durable: topics.durables.alerts, filterSubjects: [], maxBatch: 100 }, (batch) =>
    Effect.forEach(batch, (correlation) => (correlation.createAlert && fences.admit(correlation.correlatorId, correlation.fence) ? record(correlation) : Effect.void), {
      discard: true
    })
  )
  return { stats, fences }
})
