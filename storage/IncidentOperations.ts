// Alert and incident handling over the stores (SPEC §5), shared by the REST routes and the alert
// service: closing and assigning alerts, linking them to incidents of their own tenant (which
// escalates them), unlinking, merging incidents, and linking a new alert to an open incident
// automatically. Who may do what is the gateway's to decide before calling these.
import { Clock, Data, Effect, Option, Schedule } from "effect"
import type { Alert, ClosingReason } from "../model/Alert.ts"
import type { AlertId, TenantId } from "../model/Ids.ts"
import type { Incident, IncidentPriority } from "../model/Incident.ts"
import { IncidentId } from "../model/IncidentId.ts"
import type { UserId } from "../model/User.ts"
import { AlertChanged, AlertStore, AlertStoreError } from "./AlertStore.ts"
import { AlertAlreadyLinked, IncidentNotFound, IncidentStore } from "./IncidentStore.ts"
import { uuidKey } from "./StoreListing.ts"

/** No alert with this id in the tenant (a foreign one answers the same). */
export class AlertNotFound extends Data.TaggedError("AlertNotFound")<{ readonly alertId: AlertId }> {}

/** The alert is closed: it takes no further change. */
export class AlertClosed extends Data.TaggedError("AlertClosed")<{ readonly alertId: AlertId }> {}

/** The incident is closed (by hand or merged): it takes no further change. */
export class IncidentClosed extends Data.TaggedError("IncidentClosed")<{ readonly incidentId: IncidentId }> {}

/** An incident cannot be merged into itself. */
export class MergeIntoItself extends Data.TaggedError("MergeIntoItself")<{ readonly incidentId: IncidentId }> {}

/** Days an incident stays a candidate for automatic linking after its last update, unless configured otherwise. */
export const DefaultAutoLinkWindowDays = 7

const DayMillis = 86_400_000

/** The closing reason a source incident gets when merged. */
export const MergedReason = "merged"

const Attempts = 5

/**
 * Applies `change` to a fresh read of the alert and writes the result conditionally on that read,
 * reading again a few times when the alert service extended the alert in between. A change that
 * returns the alert itself writes nothing.
 */
export const changeAlert = <E, R>(tenantId: TenantId, alertId: AlertId, change: (alert: Alert, now: number) => Effect.Effect<Alert, E, R>) =>
  Effect.gen(function* () {
    const store = yield* AlertStore
    const stored = yield* store.get(tenantId, alertId)
    if (Option.isNone(stored)) return yield* Effect.fail(new AlertNotFound({ alertId }))
    const changed = yield* change(stored.value.alert, yield* Clock.currentTimeMillis)
    if (changed !== stored.value.alert) yield* store.update(changed, stored.value.revision)
    return changed
  }).pipe(
    Effect.retry({
      while: (error) => error instanceof AlertChanged,
      schedule: Schedule.intersect(Schedule.recurs(Attempts - 1), Schedule.jittered(Schedule.exponential("5 millis")))
    }),
    Effect.catchIf(
      (error): error is AlertChanged => error instanceof AlertChanged,
      (error) => Effect.fail(new AlertStoreError({ message: `alert ${error.id} kept changing`, cause: error }))
    )
  )

/** Closes the alert with a reason; AlertClosed when it already is. */
export const closeAlert = (tenantId: TenantId, alertId: AlertId, reason: ClosingReason) =>
  changeAlert(tenantId, alertId, (alert, now) =>
    alert.status === "closed" ? Effect.fail(new AlertClosed({ alertId })) : Effect.succeed<Alert>({ ...alert, status: "closed", closingReason: reason, updatedAt: now })
  )

/** Gives the alert to a user: a new alert becomes assigned (and stops filling), an escalated one stays escalated. */
export const assignAlert = (tenantId: TenantId, alertId: AlertId, assignee: UserId) =>
  changeAlert(tenantId, alertId, (alert, now) =>
    alert.status === "closed"
      ? Effect.fail(new AlertClosed({ alertId }))
      : Effect.succeed<Alert>({ ...alert, assignee, status: alert.status === "escalated" ? "escalated" : "assigned", updatedAt: now })
  )

/** A linked alert is escalated; a closed one stays closed. */
const escalate = (tenantId: TenantId, alertId: AlertId) =>
  changeAlert(tenantId, alertId, (alert, now) =>
    Effect.succeed<Alert>(alert.status === "closed" || alert.status === "escalated" ? alert : { ...alert, status: "escalated", updatedAt: now })
  )

/** An unlinked alert goes back to its assignee, or to new when it has none. */
const deescalate = (tenantId: TenantId, alertId: AlertId) =>
  changeAlert(tenantId, alertId, (alert, now) =>
    Effect.succeed<Alert>(alert.status !== "escalated" ? alert : { ...alert, status: alert.assignee !== undefined ? "assigned" : "new", updatedAt: now })
  )

/** The tenant's incident, or IncidentNotFound. */
const incidentIn = (tenantId: TenantId, incidentId: IncidentId) =>
  Effect.flatMap(IncidentStore, (store) => store.get(tenantId, incidentId)).pipe(
    Effect.flatMap(Option.match({ onNone: () => Effect.fail(new IncidentNotFound({ incidentId })), onSome: Effect.succeed }))
  )

const openIncidentIn = (tenantId: TenantId, incidentId: IncidentId) =>
  Effect.flatMap(incidentIn(tenantId, incidentId), (incident) =>
    incident.status === "closed" ? Effect.fail(new IncidentClosed({ incidentId: incident.id })) : Effect.succeed(incident)
  )

const union = (left: ReadonlyArray<string>, right: ReadonlyArray<string> | undefined): Array<string> => [...new Set([...left, ...(right ?? [])])]

export interface NewIncident {
  readonly tenantID: TenantId
  readonly name: string
  readonly priority: IncidentPriority
  readonly category: string
  readonly type: string
  readonly description: string
  readonly assignee?: UserId
}

/** Opens an incident by hand: open, or assigned when given an assignee. */
export const createIncident = (fields: NewIncident) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const incident: Incident = {
      id: IncidentId.make(crypto.randomUUID()),
      tenantID: fields.tenantID,
      name: fields.name,
      priority: fields.priority,
      category: fields.category,
      type: fields.type,
      description: fields.description,
      ...(fields.assignee !== undefined ? { assignee: fields.assignee } : {}),
      status: fields.assignee !== undefined ? "assigned" : "open",
      alertIDs: [],
      affectedAssets: [],
      affectedAccounts: [],
      createdAt: now,
      updatedAt: now
    }
    yield* Effect.flatMap(IncidentStore, (store) => store.save(incident))
    return incident
  })

/** What a PATCH may change; `assignee: null` takes the incident back to open, a closing reason closes it. */
export interface IncidentChanges {
  readonly name?: string
  readonly priority?: IncidentPriority
  readonly category?: string
  readonly type?: string
  readonly description?: string
  readonly assignee?: UserId | null
  readonly closingReason?: string
}

/** Applies the changes to an incident that is not closed; IncidentClosed otherwise. */
export const updateIncident = (tenantId: TenantId, incidentId: IncidentId, changes: IncidentChanges) =>
  Effect.gen(function* () {
    const incident = yield* openIncidentIn(tenantId, incidentId)
    const now = yield* Clock.currentTimeMillis
    const { assignee: _assignee, ...unassigned } = incident
    const assigned: Incident =
      changes.assignee === undefined ? incident : changes.assignee === null ? { ...unassigned, status: "open" } : { ...incident, assignee: changes.assignee, status: "assigned" }
    const updated: Incident = {
      ...assigned,
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.priority !== undefined ? { priority: changes.priority } : {}),
      ...(changes.category !== undefined ? { category: changes.category } : {}),
      ...(changes.type !== undefined ? { type: changes.type } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.closingReason !== undefined ? { status: "closed" as const, closingReason: changes.closingReason } : {}),
      updatedAt: now
    }
    yield* Effect.flatMap(IncidentStore, (store) => store.save(updated))
    return updated
  })

/**
 * Links alerts of the incident's tenant to it and escalates them; the incident takes their
 * affected assets and accounts. Every alert is checked before any is linked: a missing one
 * (or another tenant's) fails AlertNotFound, one held by another incident AlertAlreadyLinked.
 */
export const linkAlerts = (tenantId: TenantId, incidentId: IncidentId, alertIds: ReadonlyArray<AlertId>) =>
  Effect.gen(function* () {
    const incidents = yield* IncidentStore
    const alerts = yield* AlertStore
    const incident = yield* openIncidentIn(tenantId, incidentId)
    const found: Array<Alert> = []
    for (const alertId of new Set(alertIds)) {
      const stored = yield* alerts.get(tenantId, alertId)
      if (Option.isNone(stored)) return yield* Effect.fail(new AlertNotFound({ alertId }))
      const holder = yield* incidents.incidentOfAlert(tenantId, alertId)
      if (Option.isSome(holder) && uuidKey(holder.value) !== uuidKey(incident.id)) {
        return yield* Effect.fail(new AlertAlreadyLinked({ alertId, incidentId: holder.value }))
      }
      found.push(stored.value.alert)
    }
    for (const alert of found) {
      yield* incidents.linkAlert(tenantId, incident.id, alert.id)
      yield* escalate(tenantId, alert.id)
    }
    const now = yield* Clock.currentTimeMillis
    yield* incidents.save({
      ...incident,
      affectedAssets: found.reduce((assets, alert) => union(assets, alert.affectedAssets), [...incident.affectedAssets]),
      affectedAccounts: found.reduce((accounts, alert) => union(accounts, alert.affectedAccounts), [...incident.affectedAccounts]),
      updatedAt: now
    })
    return yield* incidentIn(tenantId, incident.id)
  })

/** Unlinks alerts from the incident (those it does not hold are left alone); a missing or foreign alert fails AlertNotFound. */
export const unlinkAlerts = (tenantId: TenantId, incidentId: IncidentId, alertIds: ReadonlyArray<AlertId>) =>
  Effect.gen(function* () {
    const incidents = yield* IncidentStore
    const alerts = yield* AlertStore
    const incident = yield* openIncidentIn(tenantId, incidentId)
    const held: Array<AlertId> = []
    for (const alertId of new Set(alertIds)) {
      if (Option.isNone(yield* alerts.get(tenantId, alertId))) return yield* Effect.fail(new AlertNotFound({ alertId }))
      const holder = yield* incidents.incidentOfAlert(tenantId, alertId)
      if (Option.isSome(holder) && uuidKey(holder.value) === uuidKey(incident.id)) held.push(alertId)
    }
    for (const alertId of held) {
      yield* incidents.unlinkAlert(tenantId, incident.id, alertId)
      yield* deescalate(tenantId, alertId)
    }
    yield* incidents.save({ ...incident, updatedAt: yield* Clock.currentTimeMillis })
    return yield* incidentIn(tenantId, incident.id)
  })

/**
 * Merges `sourceId` into `targetId`, both of the tenant and open: the source's alerts move to
 * the target (staying escalated), the target takes its affected assets and accounts, and the
 * source is closed with `mergedInto`.
 */
export const mergeIncidents = (tenantId: TenantId, targetId: IncidentId, sourceId: IncidentId) =>
  Effect.gen(function* () {
    if (uuidKey(targetId) === uuidKey(sourceId)) return yield* Effect.fail(new MergeIntoItself({ incidentId: targetId }))
    const incidents = yield* IncidentStore
    const target = yield* openIncidentIn(tenantId, targetId)
    const source = yield* openIncidentIn(tenantId, sourceId)
    for (const alertId of source.alertIDs) {
      yield* incidents.unlinkAlert(tenantId, source.id, alertId)
      yield* incidents.linkAlert(tenantId, target.id, alertId)
    }
    const now = yield* Clock.currentTimeMillis
    yield* incidents.save({
      ...target,
      affectedAssets: union(target.affectedAssets, source.affectedAssets),
      affectedAccounts: union(target.affectedAccounts, source.affectedAccounts),
      updatedAt: now
    })
    yield* incidents.save({ ...source, status: "closed", closingReason: MergedReason, mergedInto: target.id, updatedAt: now })
    return yield* incidentIn(tenantId, target.id)
  })

/**
 * Automatic linking (SPEC §5): links a new alert to the newest open incident of its tenant that
 * shares an affected asset or account and was updated within `windowDays`. Returns the incident
 * it joined; none when the alert touches nothing, is closed, is already linked, or nothing matches.
 * The alert service calls it after it opens an alert.
 */
export const autoLinkAlert = (alert: Alert, windowDays: number = DefaultAutoLinkWindowDays) =>
  Effect.gen(function* () {
    const assets = alert.affectedAssets ?? []
    const accounts = alert.affectedAccounts ?? []
    if ((assets.length === 0 && accounts.length === 0) || alert.status === "closed") return Option.none<IncidentId>()
    const incidents = yield* IncidentStore
    if (Option.isSome(yield* incidents.incidentOfAlert(alert.tenantID, alert.id))) return Option.none<IncidentId>()
    const since = (yield* Clock.currentTimeMillis) - windowDays * DayMillis
    for (const candidate of yield* incidents.openIncidentsSharing(alert.tenantID, assets, accounts, since)) {
      const linked = yield* linkAlerts(alert.tenantID, candidate.id, [alert.id]).pipe(
        Effect.as(Option.some(candidate.id)),
        // Closed or gone since it was listed: try the next one.
        Effect.catchTags({ IncidentClosed: () => Effect.succeed(Option.none<IncidentId>()), IncidentNotFound: () => Effect.succeed(Option.none<IncidentId>()) })
      )
      if (Option.isSome(linked)) return linked
    }
    return Option.none<IncidentId>()
  }).pipe(
    // Someone linked it meanwhile (by hand, or another node): that link stands.
    Effect.catchTag("AlertAlreadyLinked", () => Effect.succeed(Option.none<IncidentId>())),
    // The alert vanished between its write and this call: nothing to link.
    Effect.catchTag("AlertNotFound", () => Effect.succeed(Option.none<IncidentId>()))
  )
