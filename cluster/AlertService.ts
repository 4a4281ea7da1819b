// The alert service: consumes correlation events and makes or extends alerts of the
// correlator's tenant, with the assets and accounts they affect, and links a new alert to an open
// incident of its tenant that shares one (SPEC §5), as the tenant's settings say. Idempotent: a
// redelivered correlation event changes nothing.
import { Clock, Effect, Option, Schedule } from "effect"
import type { Correlation } from "../actors/Correlation.ts"
import type { AlertId, TenantId } from "../model/Ids.ts"
import type { AutoLinkSettings } from "../model/Settings.ts"
import type { Alert } from "../model/Alert.ts"
import { alreadyContains, canExtend, extendAlert, openAlert, withAffected } from "../model/AlertLifecycle.ts"
import { autoLinkAlert, DefaultAutoLinkWindowDays } from "../storage/IncidentOperations.ts"
import { AlertStore, AlertStoreError, type AlertStoreShape } from "../storage/AlertStore.ts"
import { SettingsStore } from "../storage/SettingsStore.ts"
import { EventBus } from "./EventBus.ts"
import { FenceBook } from "./FenceBook.ts"
import { Topics } from "./Topics.ts"

// Tries to apply one correlation from a fresh read; AlertChanged when another writer came between.
// Returns the alert the correlation event opened (now or on an earlier delivery), none when it
// extended one.
const attempt = (correlation: Correlation, store: AlertStoreShape, now: number) =>
  Effect.gen(function* () {
    const event = correlation.event
    const own = yield* store.get(event.TenantID, event.ID as AlertId)
    if (Option.isSome(own)) return Option.some(own.value.alert)
    const group = { correlatorId: correlation.correlatorId, ruleId: correlation.ruleId, groupKey: correlation.groupKey }
    const head = yield* store.groupHead({ tenantId: event.TenantID, ...group })
    if (Option.isSome(head)) {
      const latest = head.value.stored
      if (Option.isSome(latest) && alreadyContains(latest.value.alert, event)) return Option.none<Alert>()
      if (Option.isSome(latest) && canExtend(latest.value.alert, event)) {
        yield* store.update(withAffected(extendAlert(latest.value.alert, event, now), event), latest.value.revision)
        return Option.none<Alert>()
      }
    }
    const opened = withAffected(openAlert(event, group, now), event)
    // The pointer moves first: of two writers opening the group's next alert only one wins, and
    // an opener that stopped in between left the pointer at its own id, which the retry fills.
    const pointedHere = Option.isSome(head) && head.value.alertId === opened.id
    if (!pointedHere) yield* store.pointGroup(opened, Option.isSome(head) ? head.value.alertId : undefined)
    yield* store.create(opened)
    return Option.some(opened)
  })

export interface AlertServiceOptions {
  /** Days an open incident stays a candidate for linking new alerts after its last update, for tenants whose settings say nothing. */
  readonly autoLinkWindowDays?: number
}

/**
 * How long a tenant's automatic-linking settings are reused before they are read again: a setting
 * changed through PUT /api/v1/settings takes effect on new alerts within this time.
 */
export const SettingsMaxAgeMillis = 5_000

/** The tenants' automatic-linking settings as last read, with when. */
export type SettingsCache = Map<TenantId, { readonly readAt: number; readonly autoLink: AutoLinkSettings }>

/** An empty settings cache; one per running alert service. */
export const makeSettingsCache = (): SettingsCache => new Map()

/**
 * The tenant's automatic linking: its saved settings, else on over the node's window. The settings
 * store is optional here (Effect.serviceOption): the node's layers (NodeLayers) provide it and the
 * node runs this service in its whole context; where none is provided the node's window applies.
 * A failed read keeps the last known value: the alert is already written, linking is best effort.
 */
const autoLinkOf = (tenantId: TenantId, options: AlertServiceOptions, cache: SettingsCache | undefined) =>
  Effect.gen(function* () {
    const fallback: AutoLinkSettings = { enabled: true, days: options.autoLinkWindowDays ?? DefaultAutoLinkWindowDays }
    const settings = yield* Effect.serviceOption(SettingsStore)
    if (Option.isNone(settings)) return fallback
    const now = yield* Clock.currentTimeMillis
    const cached = cache?.get(tenantId)
    if (cached !== undefined && now - cached.readAt < SettingsMaxAgeMillis) return cached.autoLink
    const autoLink = yield* settings.value.get(tenantId).pipe(
      Effect.map(Option.match({ onNone: () => fallback, onSome: (saved) => saved.incidents.autoLink })),
      Effect.catchAll((error) =>
        Effect.logWarning(`settings of tenant ${tenantId} unreadable, automatic linking uses the last known ones`, error).pipe(Effect.as(cached?.autoLink ?? fallback))
      )
    )
    cache?.set(tenantId, { readAt: now, autoLink })
    return autoLink
  })

/**
 * Applies one correlation to the alert store; a conflicting writer costs a re-read, never an update.
 * Without a cache the tenant's settings are read for every alert opened.
 */
export const record = (correlation: Correlation, options: AlertServiceOptions = {}, settingsCache?: SettingsCache) =>
  Effect.gen(function* () {
    const store = yield* AlertStore
    const now = yield* Clock.currentTimeMillis
    const opened = yield* attempt(correlation, store, now).pipe(
      Effect.retry({ while: (error) => error._tag === "AlertChanged", schedule: Schedule.exponential("5 millis").pipe(Schedule.jittered, Schedule.upTo("10 seconds")) }),
      Effect.catchTag("AlertChanged", (error) => Effect.fail(new AlertStoreError({ message: `alert ${error.id} kept changing under the alert service`, cause: error })))
    )
    // Also on a redelivery: a link that failed last time is tried again (linking twice changes nothing).
    if (Option.isNone(opened)) return
    const autoLink = yield* autoLinkOf(opened.value.tenantID, options, settingsCache)
    if (autoLink.enabled) yield* autoLinkAlert(opened.value, autoLink.days)
  })

/** Starts the durable alert consumer in the current scope; stale partition owners' records are refused. */
export const start = (options: AlertServiceOptions = {}) => Effect.gen(function* () {
  const bus = yield* EventBus
  const topics = yield* Topics
  const fences = new FenceBook()
  const settingsCache = makeSettingsCache()
  const stats = yield* bus.consume(topics.correlations, { durable: topics.durables.alerts, filterSubjects: [], maxBatch: 100 }, (batch) =>
    Effect.forEach(
      batch,
      ({ sequence, record: correlation }) => (fences.admit(correlation.correlatorId, correlation.fence, sequence) && correlation.createAlert ? record(correlation, options, settingsCache) : Effect.void),
      { discard: true }
    )
  )
  return { stats, fences }
})
