// What the Alerts page's pieces share: the alert as GET alerts answers it, the filters as the
// address keeps them (#/alerts/<id>?status=new&status=assigned&tenantID=...), badges.
import { priorityBand } from "../format.ts"

export type AlertStatus = "new" | "assigned" | "escalated" | "closed"
export const AlertStatuses: ReadonlyArray<AlertStatus> = ["new", "assigned", "escalated", "closed"]

export type ClosingReason = "responded" | "incorrect data" | "incorrect correlation rule"
export const ClosingReasons: ReadonlyArray<ClosingReason> = ["responded", "incorrect data", "incorrect correlation rule"]

export type Band = ReturnType<typeof priorityBand>
export const Bands: ReadonlyArray<Band> = ["low", "medium", "high", "critical"]

export interface AlertRecord {
  readonly id: string
  readonly tenantID: string
  readonly tenantName: string
  readonly name: string
  readonly correlationRuleID: string
  readonly correlatorID?: string
  readonly priority: number
  readonly status: AlertStatus
  readonly firstSeen: string
  readonly lastSeen: string
  readonly updatedAt: string
  readonly assignee?: string
  readonly groupedBy: ReadonlyArray<string>
  readonly closingReason?: string
  readonly affectedAssets?: ReadonlyArray<string>
  readonly affectedAccounts?: ReadonlyArray<string>
  readonly events?: ReadonlyArray<{ readonly id: string; readonly kind: string }>
  /** Not in the list today; shown when the API gives it. */
  readonly eventsCount?: number
}

/** The queue's filters; the API applies all but the priority band, which the page applies. */
export interface AlertFilter {
  readonly statuses: ReadonlyArray<AlertStatus>
  readonly tenantID: string
  readonly band: Band | ""
  readonly name: string
  /** RFC 3339 bounds on lastSeen. */
  readonly from: string
  readonly to: string
  readonly page: number
}

export const filterOf = (query: URLSearchParams): AlertFilter => ({
  statuses: query.getAll("status").filter((status): status is AlertStatus => (AlertStatuses as ReadonlyArray<string>).includes(status)),
  tenantID: query.get("tenantID") ?? "",
  band: ((Bands as ReadonlyArray<string>).includes(query.get("band") ?? "") ? query.get("band") : "") as Band | "",
  name: query.get("name") ?? "",
  from: query.get("from") ?? "",
  to: query.get("to") ?? "",
  page: Math.max(1, Number.parseInt(query.get("page") ?? "1", 10) || 1)
})

/** The filters as the address's query string (empty ones left out). */
export const searchOf = (filter: AlertFilter): string => {
  const params = new URLSearchParams()
  for (const status of filter.statuses) params.append("status", status)
  if (filter.tenantID !== "") params.set("tenantID", filter.tenantID)
  if (filter.band !== "") params.set("band", filter.band)
  if (filter.name !== "") params.set("name", filter.name)
  if (filter.from !== "") params.set("from", filter.from)
  if (filter.to !== "") params.set("to", filter.to)
  if (filter.page > 1) params.set("page", String(filter.page))
  return params.toString()
}

/** `#/alerts[/<id>][?filters]`. */
export const alertsHash = (id: string | undefined, filter: AlertFilter): string => {
  const search = searchOf(filter)
  return `#/alerts${id === undefined ? "" : `/${encodeURIComponent(id)}`}${search === "" ? "" : `?${search}`}`
}

export function PriorityBadge(props: { readonly priority: number }) {
  const band = priorityBand(props.priority)
  return (
    <span class={`badge priority-${band}`} title={`priority ${props.priority} of 16`}>
      {band} {props.priority}
    </span>
  )
}

export function StatusBadge(props: { readonly status: string }) {
  return <span class={`alert-status status-${props.status}`}>{props.status}</span>
}
