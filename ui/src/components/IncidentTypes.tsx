// The incident as GET /api/v1/incidents answers it, and the small pieces every incident component shares.

export const IncidentPriorities = ["low", "medium", "high", "critical"] as const
export type IncidentPriority = (typeof IncidentPriorities)[number]
export const IncidentStatuses = ["open", "assigned", "closed"] as const
export type IncidentStatus = (typeof IncidentStatuses)[number]

export interface Incident {
  readonly id: string
  readonly tenantID: string
  readonly tenantName: string
  readonly name: string
  readonly priority: IncidentPriority
  readonly category: string
  readonly type: string
  readonly description: string
  readonly assignee?: string
  readonly status: IncidentStatus
  readonly closingReason?: string
  readonly alertIDs: ReadonlyArray<string>
  readonly affectedAssets: ReadonlyArray<string>
  readonly affectedAccounts: ReadonlyArray<string>
  readonly createdAt: string
  readonly updatedAt: string
  readonly mergedInto?: string
}

/** An alert as the incident's pane lists it (a subset of GET alerts). */
export interface IncidentAlert {
  readonly id: string
  readonly tenantID: string
  readonly tenantName: string
  readonly name: string
  readonly priority: number
  readonly status: string
  readonly lastSeen?: string
}

/** A failure in the API's words ("message: details"). */
export { failureText } from "../api.ts"

export function IncidentPriorityBadge(props: { readonly priority: IncidentPriority }) {
  return <span class={`badge priority-${props.priority}`}>{props.priority}</span>
}

export function IncidentStatusBadge(props: { readonly status: IncidentStatus }) {
  return <span class={`badge status-${props.status}`}>{props.status}</span>
}
