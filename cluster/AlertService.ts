// The alert service: consumes correlation events and makes or extends alerts of the
// correlator's tenant. Idempotent: a redelivered correlation event changes nothing.
import { Clock, Effect, Option, Schedule } from "effect"
import type { Correlation } from "../actors/Correlation.ts"
import type { AlertId } from "../model/Ids.ts"
import { alreadyContains, canExtend, extendAlert, openAlert } from "../model/AlertLifecycle.ts"
import { AlertStore, AlertStoreError, type AlertStoreShape } from "../storage/AlertStore.ts"
import { EventBus } from "./EventBus.ts"
import { FenceBook } from "./FenceBook.ts"
import { Topics } from "./Topics.ts"

// Tries to apply one correlation from a fresh read; AlertChanged when another writer came between.
const attempt = (correlation: Correlation, store: AlertStoreShape, now: number) =>
  Effect.gen(function* () {
    const event = correlation.event
    if (Option.isSome(yield* store.get(event.TenantID, event.ID as AlertId))) return
    const group = { correlatorId: correlation.correlatorId, ruleId: correlation.ruleId, groupKey: correlation.groupKey }
    const head = yield* store.groupHead({ tenantId: event.TenantID, ...group })
    if (Option.isSome(head)) {
      const latest = head.value.stored
      if (Option.isSome(latest) && alreadyContains(latest.value.alert, event)) return
      if (Option.isSome(latest) && canExtend(latest.value.alert, event)) return yield* store.update(extendAlert(latest.value.alert, event, now), latest.value.revision)
    }
    const opened = openAlert(event, group, now)
    // The pointer moves first: of two writers opening the group's next alert only one wins, and
    // an opener that stopped in between left the pointer at its own id, which the retry fills.
    const pointedHere = Option.isSome(head) && head.value.alertId === opened.id
    if (!pointedHere) yield* store.pointGroup(opened, Option.isSome(head) ? head.value.alertId : undefined)
    yield* store.create(opened)
  })

/** Applies one correlation to the alert store; a conflicting writer costs a re-read, never an update. */
export const record = (correlation: Correlation) =>
  Effect.gen(function* () {
    const store = yield* AlertStore
    const now = yield* Clock.currentTimeMillis
    yield* attempt(correlation, store, now).pipe(
      Effect.retry({ while: (error) => error._tag === "AlertChanged", schedule: Schedule.exponential("5 millis").pipe(Schedule.jittered, Schedule.upTo("10 seconds")) }),
      Effect.catchTag("AlertChanged", (error) => Effect.fail(new AlertStoreError({ message: `alert ${error.id} kept changing under the alert service`, cause: error })))
    )
  })

/** Starts the durable alert consumer in the current scope; stale partition owners' records are refused. */
export const start = Effect.gen(function* () {
  const bus = yield* EventBus
  const topics = yield* Topics
  const fences = new FenceBook()
  const stats = yield* bus.consume(topics.correlations, { durable: topics.durables.alerts, filterSubjects: [], maxBatch: 100 }, (batch) =>
    Effect.forEach(
      batch,
      ({ sequence, record: correlation }) => (fences.admit(correlation.correlatorId, correlation.fence, sequence) && correlation.createAlert ? record(correlation) : Effect.void),
      { discard: true }
    )
  )
  return { stats, fences }
})
