// Alerts (SPEC §5): made or extended by correlation events, owned by the correlator's tenant.
import { Schema } from "effect"
import { AlertId, CorrelatorId, TenantId } from "./Ids.ts"

export const AlertStatus = Schema.Literal("new", "assigned", "escalated", "closed")
export type AlertStatus = typeof AlertStatus.Type

export const ClosingReason = Schema.Literal("responded", "incorrect data", "incorrect correlation rule")
export type ClosingReason = typeof ClosingReason.Type

/** An alert holds at most this many events; past it a new alert starts. */
export const MaxEventsPerAlert = 10_000

/** An alert. Times are epoch milliseconds. */
export const Alert = Schema.Struct({
  id: AlertId,
  tenantID: TenantId,
  name: Schema.String,
  correlatorID: CorrelatorId,
  correlationRuleID: Schema.String,
  groupKey: Schema.String,
  groupedBy: Schema.Array(Schema.String),
  status: AlertStatus,
  priority: Schema.Int,
  firstSeen: Schema.Int,
  lastSeen: Schema.Int,
  updatedAt: Schema.Int,
  assignee: Schema.optionalWith(Schema.String, { exact: true }),
  closingReason: Schema.optionalWith(ClosingReason, { exact: true }),
  /** IDs of the correlation events that made or extended the alert. */
  correlationEventIDs: Schema.Array(Schema.String),
  /** IDs of the base events behind those correlation events. */
  baseEventIDs: Schema.Array(Schema.String),
  /** Hosts (FQDN, else address) the alert's events touched; absent on alerts stored before they were kept. */
  affectedAssets: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  /** User accounts the alert's events touched. */
  affectedAccounts: Schema.optionalWith(Schema.Array(Schema.String), { exact: true })
})
export type Alert = typeof Alert.Type
