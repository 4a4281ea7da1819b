// The alert store port: a narrow seam of reads and writes; the rules that decide whether a
// correlation event makes or extends an alert live in the alert service, not here.
import { Context, Data, type Effect, type Option } from "effect"
import type { Alert, AlertStatus } from "../model/Alert.ts"
import type { AlertId, CorrelatorId, TenantId } from "../model/Ids.ts"

/** The group an alert fills while it is new. */
export interface AlertGroupRef {
  readonly tenantId: TenantId
  readonly correlatorId: CorrelatorId
  readonly ruleId: string
  readonly groupKey: string
}

export interface AlertQuery {
  readonly tenantIds: ReadonlyArray<TenantId>
  readonly ids: ReadonlyArray<AlertId>
  readonly statuses: ReadonlyArray<AlertStatus>
  /** Case-insensitive regular expression on the alert name. */
  readonly name?: RegExp
  /** Which time `from`/`to` apply to. */
  readonly timestampField: "firstSeen" | "lastSeen"
  readonly from?: number
  readonly to?: number
  /** Pages count from 1. */
  readonly page: number
  readonly pageSize: number
}

export class AlertStoreError extends Data.TaggedError("AlertStoreError")<{ readonly message: string; readonly cause?: unknown }> {}

/**
 * A conditional write lost: someone else wrote the alert (or moved the group's pointer) since
 * it was read. The writer reads again and re-applies its change; nothing is overwritten.
 */
export class AlertChanged extends Data.TaggedError("AlertChanged")<{ readonly tenantId: TenantId; readonly id: AlertId }> {}

/** An alert as stored, with the revision a conditional update must name. */
export interface StoredAlert {
  readonly alert: Alert
  readonly revision: number
}

/** Where a group's pointer leads: the latest alert opened for it, absent when its opener has not written it yet. */
export interface GroupHead {
  readonly alertId: AlertId
  readonly stored: Option.Option<StoredAlert>
}

export interface AlertStoreShape {
  /** Writes a new alert at revision 1; AlertChanged when the id exists. Does not move the group's pointer. */
  readonly create: (alert: Alert) => Effect.Effect<void, AlertChanged | AlertStoreError>
  /** Replaces the alert if it is still at `revision` (then at revision + 1); AlertChanged otherwise. */
  readonly update: (alert: Alert, revision: number) => Effect.Effect<void, AlertChanged | AlertStoreError>
  /**
   * Points the alert's group at it if the pointer still leads to `previous` (or is unset, for
   * undefined); AlertChanged otherwise. Two writers cannot both open the group's next alert.
   */
  readonly pointGroup: (alert: Alert, previous: AlertId | undefined) => Effect.Effect<void, AlertChanged | AlertStoreError>
  readonly get: (tenantId: TenantId, id: AlertId) => Effect.Effect<Option.Option<StoredAlert>, AlertStoreError>
  /** Where the group's pointer leads (the latest alert opened for it, whatever its status). */
  readonly groupHead: (group: AlertGroupRef) => Effect.Effect<Option.Option<GroupHead>, AlertStoreError>
  /** Alerts newest (by lastSeen) first. */
  readonly list: (query: AlertQuery) => Effect.Effect<ReadonlyArray<Alert>, AlertStoreError>
}

export class AlertStore extends Context.Tag("corvus/AlertStore")<AlertStore, AlertStoreShape>() {}
