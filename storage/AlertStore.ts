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

export interface AlertStoreShape {
  /** Inserts or replaces the alert and points its group at it. */
  readonly save: (alert: Alert) => Effect.Effect<void, AlertStoreError>
  readonly get: (tenantId: TenantId, id: AlertId) => Effect.Effect<Option.Option<Alert>, AlertStoreError>
  /** The latest alert opened for the group, whatever its status. */
  readonly latestForGroup: (group: AlertGroupRef) => Effect.Effect<Option.Option<Alert>, AlertStoreError>
  /** Alerts newest (by lastSeen) first. */
  readonly list: (query: AlertQuery) => Effect.Effect<ReadonlyArray<Alert>, AlertStoreError>
}

export class AlertStore extends Context.Tag("corvus/AlertStore")<AlertStore, AlertStoreShape>() {}
