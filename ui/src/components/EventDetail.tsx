// The Events page's detail pane: every non-empty field of one event, grouped the way an analyst
// reads it (general, source, destination, device, network and file, custom, raw).
import { time } from "../format.ts"
import { tenantName, useSession } from "../session.ts"
import { cellText, typeName, type EventRow } from "./EventShared.tsx"

const TimeFields = new Set(["Timestamp", "StartTime", "EndTime", "ReceiptTime", "DeviceCustomDate1", "DeviceCustomDate2"])
const NetworkFields = new Set([
  "TransportProtocol", "ApplicationProtocol", "BytesIn", "BytesOut", "RequestUrl", "RequestMethod",
  "FileName", "FilePath", "FileHash", "FileSize"
])
// The order general fields read best in; the rest of them follow alphabetically.
const GeneralOrder = [
  "ID", "Timestamp", "TenantID", "Type", "Priority", "Severity", "Name", "Message", "EventOutcome", "Reason", "Code",
  "ServiceName", "ServiceID", "StartTime", "EndTime", "ReceiptTime",
  "CorrelationRuleName", "CorrelationRuleID", "GroupedBy", "BaseEventCount", "BaseEventIDs"
]

type Group = "General" | "Source" | "Destination" | "Device" | "Network and file" | "Custom" | "Raw"
const Groups: ReadonlyArray<Group> = ["General", "Source", "Destination", "Device", "Network and file", "Custom", "Raw"]

const groupOf = (field: string): Group => {
  if (field === "Raw") return "Raw"
  if (field.startsWith("DeviceCustom") || field.startsWith("Flex") || field === "Extra") return "Custom"
  if (field.startsWith("Source")) return "Source"
  if (field.startsWith("Destination")) return "Destination"
  if (field.startsWith("Device")) return "Device"
  if (NetworkFields.has(field)) return "Network and file"
  return "General"
}

const isEmpty = (value: unknown): boolean =>
  value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0) ||
  (typeof value === "object" && !Array.isArray(value) && Object.keys(value as object).length === 0)

/** Field name and shown value pairs of one group, labels of custom slots folded into their names. */
const entriesOf = (row: EventRow, group: Group, tenant: (id: string) => string): ReadonlyArray<readonly [string, string]> => {
  const fields = Object.keys(row).filter((field) => !isEmpty(row[field]) && !field.endsWith("Label") && groupOf(field) === group)
  if (group === "General") fields.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  const out: Array<readonly [string, string]> = []
  for (const field of fields) {
    const value = row[field]
    if (field === "Extra" && typeof value === "object" && value !== null) {
      for (const [key, entry] of Object.entries(value as Record<string, unknown>)) out.push([`Extra.${key}`, cellText(entry)])
      continue
    }
    const label = row[`${field}Label`]
    const name = typeof label === "string" && label !== "" ? `${field} (${label})` : field
    const shown =
      field === "Type" ? `${typeName(value)} (${cellText(value)})`
      : field === "TenantID" && typeof value === "string" ? `${tenant(value)} (${value})`
      : TimeFields.has(field) ? `${time(value as string | number)}`
      : cellText(value)
    out.push([name, shown])
  }
  return out
}

const rank = (field: string): number => {
  const index = GeneralOrder.indexOf(field)
  return index < 0 ? GeneralOrder.length : index
}

export function EventDetail(props: { readonly row: EventRow; readonly onEscape?: () => void }) {
  const session = useSession()
  const tenant = (id: string) => tenantName(session, id)
  const raw = props.row["Raw"]
  return (
    <aside
      class="panel detail event-detail"
      aria-label="Event details"
      tabIndex={-1}
      onKeyDown={(event) => {
        if (event.key === "Escape") props.onEscape?.()
      }}
    >
      <h2>{cellText(props.row["Name"]) || "Event"}</h2>
      {Groups.filter((group) => group !== "Raw").map((group) => {
        const entries = entriesOf(props.row, group, tenant)
        if (entries.length === 0) return null
        return (
          <section key={group} class="event-group">
            <h3>{group}</h3>
            <dl>
              {entries.map(([name, value]) => [<dt key={`t-${name}`}>{name}</dt>, <dd key={`d-${name}`}>{value}</dd>])}
            </dl>
          </section>
        )
      })}
      {typeof raw === "string" && raw !== "" ? (
        <section class="event-group">
          <h3>Raw</h3>
          <pre class="event-raw">{raw}</pre>
        </section>
      ) : null}
    </aside>
  )
}
