// The incident store port: incidents of each tenant and the alert links that keep an alert in
// at most one incident. Which alert joins which incident is decided by the incident service.
import { Context, Data, Effect, type Option } from "effect"
import type { AlertId, TenantId } from "../model/Ids.ts"
import type { Incident, IncidentStatus } from "../model/Incident.ts"
import type { IncidentId } from "../model/IncidentId.ts"
import { statelessPattern, uuidKey } from "./StoreListing.ts"

export interface IncidentQuery {
  readonly tenantIds: ReadonlyArray<TenantId>
  readonly ids: ReadonlyArray<IncidentId>
  readonly statuses: ReadonlyArray<IncidentStatus>
  /** Case-insensitive regular expression on the incident name. */
  readonly name?: RegExp
  /** Pages count from 1. */
  readonly page: number
  readonly pageSize: number
}

export class IncidentStoreError extends Data.TaggedError("IncidentStoreError")<{ readonly message: string; readonly cause?: unknown }> {}

/** The alert is already linked to another incident of its tenant. */
export class AlertAlreadyLinked extends Data.TaggedError("AlertAlreadyLinked")<{
  readonly alertId: AlertId
  /** The incident that holds the alert. */
  readonly incidentId: IncidentId
}> {}

/** No incident with this id in the caller's tenant (a foreign one answers the same). */
export class IncidentNotFound extends Data.TaggedError("IncidentNotFound")<{ readonly incidentId: IncidentId }> {}

export interface IncidentStoreShape {
  /**
   * Inserts or replaces the incident. Its `alertIDs` are the store's record of links: save
   * neither links nor unlinks, and reads fill them in from linkAlert/unlinkAlert.
   */
  readonly save: (incident: Incident) => Effect.Effect<void, IncidentStoreError>
  /** The tenant's incident with this id; another tenant's reads as missing. */
  readonly get: (tenantId: TenantId, id: IncidentId) => Effect.Effect<Option.Option<Incident>, IncidentStoreError>
  /** Incidents newest (by updatedAt) first. */
  readonly list: (query: IncidentQuery) => Effect.Effect<ReadonlyArray<Incident>, IncidentStoreError>
  /** Links the alert to the incident; linking it again to the same incident changes nothing. */
  readonly linkAlert: (
    tenantId: TenantId,
    incidentId: IncidentId,
    alertId: AlertId
  ) => Effect.Effect<void, AlertAlreadyLinked | IncidentNotFound | IncidentStoreError>
  /** Removes the link if the alert is linked to this incident, and does nothing otherwise. */
  readonly unlinkAlert: (tenantId: TenantId, incidentId: IncidentId, alertId: AlertId) => Effect.Effect<void, IncidentStoreError>
  /** The incident of the caller's tenant that holds the alert, if any. */
  readonly incidentOfAlert: (tenantId: TenantId, alertId: AlertId) => Effect.Effect<Option.Option<IncidentId>, IncidentStoreError>
  /** Incidents not closed, updated at or after `sinceMs`, that share an asset or an account; newest first. */
  readonly openIncidentsSharing: (
    tenantId: TenantId,
    assets: ReadonlyArray<string>,
    accounts: ReadonlyArray<string>,
    sinceMs: number
  ) => Effect.Effect<ReadonlyArray<Incident>, IncidentStoreError>
}

export class IncidentStore extends Context.Tag("corvus/IncidentStore")<IncidentStore, IncidentStoreShape>() {}

/** Orders incidents newest updatedAt first, then by id, the same way in every backend. */
export const newestFirst = (a: Incident, b: Incident): number => {
  const byTime = b.updatedAt - a.updatedAt
  if (byTime !== 0) return byTime
  const left = uuidKey(a.id)
  const right = uuidKey(b.id)
  return left < right ? -1 : left > right ? 1 : 0
}

/** Whether an incident passes the query's filters; stateful (global, sticky) patterns are tested from the start. */
export const incidentMatches = (query: IncidentQuery): ((incident: Incident) => boolean) => {
  const tenants = new Set<string>(query.tenantIds)
  const ids = new Set(query.ids.map(uuidKey))
  const statuses = new Set<string>(query.statuses)
  const name = query.name === undefined ? undefined : statelessPattern(query.name)
  return (incident) =>
    tenants.has(incident.tenantID) &&
    (ids.size === 0 || ids.has(uuidKey(incident.id))) &&
    (statuses.size === 0 || statuses.has(incident.status)) &&
    (name === undefined || name.test(incident.name))
}

/** Whether an incident may take a new alert touching these assets and accounts (automatic linking). */
export const isOpenAndSharing = (
  incident: Incident,
  assets: ReadonlySet<string>,
  accounts: ReadonlySet<string>,
  sinceMs: number
): boolean =>
  incident.status !== "closed" &&
  incident.updatedAt >= sinceMs &&
  (incident.affectedAssets.some((asset) => assets.has(asset)) || incident.affectedAccounts.some((account) => accounts.has(account)))

/** What a link attempt found, as each backend reports it. */
export type LinkOutcome = { readonly outcome: "missing" } | { readonly outcome: "taken"; readonly holder: IncidentId } | { readonly outcome: "linked" }

/** The port's answer to a link attempt: a missing incident or a link held elsewhere fail as typed errors. */
export const linkResult =
  (alertId: AlertId, incidentId: IncidentId) =>
  (result: LinkOutcome): Effect.Effect<void, AlertAlreadyLinked | IncidentNotFound> =>
    result.outcome === "missing"
      ? Effect.fail(new IncidentNotFound({ incidentId }))
      : result.outcome === "taken"
        ? Effect.fail(new AlertAlreadyLinked({ alertId, incidentId: result.holder }))
        : Effect.void

