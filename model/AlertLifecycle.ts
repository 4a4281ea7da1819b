// How a correlation event makes or extends an alert (SPEC §5), as pure functions: while an
// alert is new it absorbs later firings of its rule and group, up to the event limit.
import { MaxEventsPerAlert, type Alert } from "./Alert.ts"
import type { NormalizedEvent } from "./Event.ts"
import type { AlertId, CorrelatorId } from "./Ids.ts"

/** The group a correlation event belongs to. */
export interface FiringGroup {
  readonly correlatorId: CorrelatorId
  readonly ruleId: string
  readonly groupKey: string
}

const baseIdsOf = (event: NormalizedEvent): ReadonlyArray<string> => event.BaseEventIDs ?? []

/** Opens an alert whose ID is the correlation event's, so replaying the event finds it. */
export const openAlert = (event: NormalizedEvent, group: FiringGroup, now: number): Alert => ({
  id: event.ID as AlertId,
  tenantID: event.TenantID,
  name: event.CorrelationRuleName ?? event.Name ?? group.ruleId,
  correlatorID: group.correlatorId,
  correlationRuleID: group.ruleId,
  groupKey: group.groupKey,
  groupedBy: event.GroupedBy ?? [],
  status: "new",
  priority: event.Priority ?? 1,
  firstSeen: event.StartTime ?? event.Timestamp,
  lastSeen: event.EndTime ?? event.Timestamp,
  updatedAt: now,
  correlationEventIDs: [event.ID],
  // The correlation event itself is one of the alert's events.
  baseEventIDs: baseIdsOf(event).slice(0, MaxEventsPerAlert - 1)
})

/** True when `alert` may absorb `event`: still new, and the event limit not reached. */
export const canExtend = (alert: Alert, event: NormalizedEvent): boolean =>
  alert.status === "new" &&
  alert.correlationEventIDs.length + alert.baseEventIDs.length + 1 + baseIdsOf(event).length <= MaxEventsPerAlert

/** True when `event` is already part of `alert` (a redelivery). */
export const alreadyContains = (alert: Alert, event: NormalizedEvent): boolean => alert.correlationEventIDs.includes(event.ID)

/** Adds a later firing of the same group to the alert. */
export const extendAlert = (alert: Alert, event: NormalizedEvent, now: number): Alert => ({
  ...alert,
  priority: Math.max(alert.priority, event.Priority ?? 1),
  firstSeen: Math.min(alert.firstSeen, event.StartTime ?? event.Timestamp),
  lastSeen: Math.max(alert.lastSeen, event.EndTime ?? event.Timestamp),
  updatedAt: now,
  correlationEventIDs: [...alert.correlationEventIDs, event.ID],
  baseEventIDs: [...alert.baseEventIDs, ...baseIdsOf(event)]
})

/** Most affected assets, and most affected accounts, an alert keeps. */
export const MaxAffectedPerAlert = 1_000

/** The hosts (FQDN, else address, per side) and user accounts an event touches. */
export const affectedBy = (event: NormalizedEvent): { readonly assets: ReadonlyArray<string>; readonly accounts: ReadonlyArray<string> } => {
  const assets = [event.SourceHostName ?? event.SourceAddress, event.DestinationHostName ?? event.DestinationAddress, event.DeviceHostName ?? event.DeviceAddress]
  const accounts = [event.SourceUserName, event.DestinationUserName]
  const present = (values: ReadonlyArray<string | undefined>) => [...new Set(values.filter((value): value is string => value !== undefined && value !== ""))]
  return { assets: present(assets), accounts: present(accounts) }
}

const union = (kept: ReadonlyArray<string> | undefined, added: ReadonlyArray<string>): ReadonlyArray<string> =>
  [...new Set([...(kept ?? []), ...added])].slice(0, MaxAffectedPerAlert)

/**
 * Adds what `event` touches to the alert's affected assets and accounts; apply it to the result
 * of openAlert and extendAlert. An alert whose events touch nothing keeps neither field.
 */
export const withAffected = (alert: Alert, event: NormalizedEvent): Alert => {
  const { assets, accounts } = affectedBy(event)
  return {
    ...alert,
    ...(assets.length > 0 || alert.affectedAssets !== undefined ? { affectedAssets: union(alert.affectedAssets, assets) } : {}),
    ...(accounts.length > 0 || alert.affectedAccounts !== undefined ? { affectedAccounts: union(alert.affectedAccounts, accounts) } : {})
  }
}
