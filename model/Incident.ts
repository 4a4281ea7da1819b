// Incidents (SPEC §5): alerts of one tenant grouped for investigation, with the assets and
// accounts they affect; an incident may be merged into another one.
import { Schema } from "effect"
import { AlertId, TenantId } from "./Ids.ts"
import { IncidentId } from "./IncidentId.ts"

export const IncidentPriority = Schema.Literal("low", "medium", "high", "critical")
export type IncidentPriority = typeof IncidentPriority.Type

export const IncidentStatus = Schema.Literal("open", "assigned", "closed")
export type IncidentStatus = typeof IncidentStatus.Type

/** An incident. Times are epoch milliseconds. */
export const Incident = Schema.Struct({
  id: IncidentId,
  tenantID: TenantId,
  name: Schema.String,
  priority: IncidentPriority,
  category: Schema.String,
  type: Schema.String,
  description: Schema.String,
  assignee: Schema.optionalWith(Schema.String, { exact: true }),
  status: IncidentStatus,
  closingReason: Schema.optionalWith(Schema.String, { exact: true }),
  /** The linked alerts, all of the incident's tenant; an alert belongs to at most one incident. */
  alertIDs: Schema.Array(AlertId),
  affectedAssets: Schema.Array(Schema.String),
  affectedAccounts: Schema.Array(Schema.String),
  createdAt: Schema.Int,
  updatedAt: Schema.Int,
  /** The incident this one was merged into. */
  mergedInto: Schema.optionalWith(IncidentId, { exact: true })
})
export type Incident = typeof Incident.Type
