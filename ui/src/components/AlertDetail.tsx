// The alert queue's detail pane: every field of the selected alert, its affected assets and
// accounts, its linked events (table "Alert events", each linking to the Events page), and the
// analyst's actions: Assign, Close alert (with a reason), Link to incident.
import { useEffect, useState } from "preact/hooks"
import { api, failureText } from "../api.ts"
import { quantity, shortTime, time } from "../format.ts"
import { useApi } from "../hooks.ts"
import { mayTriage, tenantName, useSession } from "../session.ts"
import { AlertCloseDialog, AlertLinkDialog } from "./AlertDialogs.tsx"
import { PriorityBadge, StatusBadge, type AlertRecord } from "./AlertShared.tsx"
import { DataTable, type Column } from "./DataTable.tsx"
import { addressOf, cellText, eventHref, quoted, searchEvents, typeName, type EventRow } from "./EventShared.tsx"

/** A user as GET users answers, enough to pick an assignee. */
export interface AlertUser {
  readonly id: string
  readonly login: string
  readonly name: string
  readonly disabled: boolean
  readonly roles: ReadonlyArray<{ readonly tenantID: string; readonly role: string }>
}

interface LinkedEvent {
  readonly id: string
  readonly kind: string
  readonly event: EventRow | undefined
}

/** How many linked events the detail reads in full (an alert holds up to 10,000). */
const ShownEvents = 200
const HourMillis = 60 * 60_000

const loadAlert = async (id: string): Promise<AlertRecord | undefined> => {
  const [alert] = await api<ReadonlyArray<AlertRecord>>("GET", "alerts", { query: { id: [id], withEvents: true, withAffected: true } })
  return alert
}

/** The linked events' fields, searched by ID around the alert's time span. */
const loadEvents = async (alert: AlertRecord | undefined): Promise<ReadonlyArray<EventRow>> => {
  const ids = (alert?.events ?? []).slice(0, ShownEvents).map((entry) => entry.id)
  if (alert === undefined || ids.length === 0) return []
  const from = new Date(new Date(alert.firstSeen).getTime() - 24 * HourMillis).toISOString()
  const to = new Date(Math.max(new Date(alert.lastSeen).getTime(), Date.now()) + HourMillis).toISOString()
  return searchEvents(`SELECT * FROM events WHERE ID IN (${ids.map(quoted).join(", ")}) LIMIT ${ShownEvents}`, from, to)
}

/** Who an assignee is, by the users known here; the id when unknown. */
export const assigneeName = (id: string | undefined, myId: string, users: ReadonlyArray<AlertUser>): string => {
  if (id === undefined || id === "") return ""
  if (id === myId) return "me"
  const user = users.find((candidate) => candidate.id === id || candidate.login === id)
  return user !== undefined ? user.name || user.login : id
}

export function AlertDetail(props: {
  readonly alertId: string
  /** The queue's row for the alert, shown until the full alert (events, affected) arrives. */
  readonly summary: AlertRecord | undefined
  /** Changes when the queue sees the alert change, so the pane reloads with it. */
  readonly version: string
  readonly users: ReadonlyArray<AlertUser>
  readonly mayListUsers: (tenantId: string) => boolean
  readonly onChanged: () => void
  /** The full alert arrived (with its events). */
  readonly onLoaded?: (alert: AlertRecord) => void
  readonly onEscape: () => void
}) {
  const session = useSession()
  const [refresh, setRefresh] = useState(0)
  const detail = useApi(() => loadAlert(props.alertId), [props.alertId, props.version, refresh])
  const alert = detail.data?.id === props.alertId ? detail.data : props.summary
  const full = detail.data?.id === props.alertId ? detail.data : undefined
  useEffect(() => {
    if (full !== undefined) props.onLoaded?.(full)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [full])
  const eventKey = (full?.events ?? []).slice(0, ShownEvents).map((entry) => entry.id).join(",")
  const events = useApi(() => loadEvents(full), [full?.id, eventKey])
  const [dialog, setDialog] = useState<"close" | "link" | undefined>(undefined)
  const [assignee, setAssignee] = useState("")
  const [busy, setBusy] = useState(false)
  const [actionError, setActionError] = useState<string | undefined>(undefined)
  const [selectedEvent, setSelectedEvent] = useState<string | undefined>(undefined)

  if (alert === undefined) {
    return (
      <aside class="panel detail alert-detail" aria-label="Alert details">
        {detail.error !== undefined ? <p role="alert">{detail.error}</p> : detail.loading ? <p class="muted">Loading…</p> : <p class="muted">No such alert (or not in your tenants).</p>}
      </aside>
    )
  }

  const changed = () => {
    setRefresh((count) => count + 1)
    props.onChanged()
  }
  const candidates = props.mayListUsers(alert.tenantID)
    ? props.users.filter(
        (user) =>
          !user.disabled &&
          user.id !== session.user.id &&
          user.roles.some((role) => role.role === "general-administrator" || (role.tenantID === alert.tenantID && role.role !== "junior-analyst"))
      )
    : []
  const assign = async (userID: string) => {
    setBusy(true)
    setActionError(undefined)
    try {
      await api("POST", "alerts/assign", { body: { id: alert.id, userID } })
      changed()
    } catch (failure) {
      setActionError(failureText(failure))
    } finally {
      setBusy(false)
    }
  }

  const found = new Map((events.data ?? []).map((row) => [cellText(row["ID"]), row]))
  const linked: ReadonlyArray<LinkedEvent> = (alert.events ?? []).slice(0, ShownEvents).map((entry) => ({ ...entry, event: found.get(entry.id) }))
  // Five columns fit the pane at 1280 px; Enter or a double click opens the event on the Events page.
  const eventColumns: ReadonlyArray<Column<LinkedEvent>> = [
    // Each event's own tenant: base events are the feeding tenants', not the alert's. One the user
    // holds no role in cannot be read, so its tenant is not shown either.
    { title: "Tenant", cell: (row) => (row.event !== undefined ? tenantName(session, cellText(row.event["TenantID"])) : "–"), nowrap: true },
    { title: "Kind", cell: (row) => (row.event !== undefined ? typeName(row.event["Type"]) : row.kind), nowrap: true },
    {
      title: "Time",
      nowrap: true,
      cell: (row) => <span title={time(row.event?.["Timestamp"] as string | undefined)}>{shortTime(row.event?.["Timestamp"] as string | undefined)}</span>
    },
    { title: "Name", cell: (row) => cellText(row.event?.["Name"]) },
    { title: "Source", cell: (row) => (row.event !== undefined ? addressOf(row.event, "Source") : ""), nowrap: true },
  ]
  const closed = alert.status === "closed"
  const readOnly = !mayTriage(session, alert.tenantID)
  const locked = closed || busy || readOnly
  const count = alert.events?.length ?? alert.eventsCount ?? 0

  return (
    <aside
      class="panel detail alert-detail"
      aria-label="Alert details"
      tabIndex={-1}
      onKeyDown={(event) => {
        if (event.key === "Escape" && dialog === undefined) {
          event.preventDefault()
          props.onEscape()
        }
      }}
    >
      <h2>{alert.name}</h2>
      {readOnly ? <p class="muted">Your role in {alert.tenantName} is read-only: you can look, not change.</p> : null}
      <div class="alert-actions">
        {candidates.length > 0 ? (
          <>
            <label class="alert-assignee">
              Assign to
              <select value={assignee} onChange={(event) => setAssignee(event.currentTarget.value)} disabled={locked}>
                <option value="">me ({session.user.name})</option>
                {candidates.map((user) => (
                  <option key={user.id} value={user.id}>
                    {user.name} ({user.login})
                  </option>
                ))}
              </select>
            </label>
            <button type="button" disabled={locked} onClick={() => void assign(assignee === "" ? session.user.id : assignee)}>
              Assign
            </button>
          </>
        ) : (
          <button type="button" disabled={locked} onClick={() => void assign(session.user.id)}>
            Assign to me
          </button>
        )}
        <button type="button" disabled={locked} onClick={() => setDialog("close")}>
          Close alert
        </button>
        <button type="button" disabled={locked} onClick={() => setDialog("link")}>
          Link to incident
        </button>
      </div>
      {actionError !== undefined ? <p role="alert">{actionError}</p> : null}
      {detail.error !== undefined ? <p role="alert">{detail.error}</p> : null}
      <dl>
        <dt>Tenant</dt>
        <dd>{alert.tenantName}</dd>
        <dt>Priority</dt>
        <dd>
          <PriorityBadge priority={alert.priority} />
        </dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={alert.status} />
          {alert.closingReason !== undefined ? <span class="muted"> — {alert.closingReason}</span> : null}
        </dd>
        <dt>Assignee</dt>
        <dd>{assigneeName(alert.assignee, session.user.id, props.users) || <span class="muted">nobody</span>}</dd>
        <dt>Rule</dt>
        <dd>
          {alert.correlationRuleID}
          {alert.correlatorID !== undefined ? <span class="muted"> in correlator {alert.correlatorID}</span> : null}
        </dd>
        <dt>Grouped by</dt>
        <dd>{alert.groupedBy.join(", ")}</dd>
        <dt>First seen</dt>
        <dd>{time(alert.firstSeen)}</dd>
        <dt>Last seen</dt>
        <dd>{time(alert.lastSeen)}</dd>
        <dt>Updated</dt>
        <dd>{time(alert.updatedAt)}</dd>
        <dt>Affected assets</dt>
        <dd>{(alert.affectedAssets ?? []).length > 0 ? alert.affectedAssets!.join(", ") : <span class="muted">none</span>}</dd>
        <dt>Affected accounts</dt>
        <dd>{(alert.affectedAccounts ?? []).length > 0 ? alert.affectedAccounts!.join(", ") : <span class="muted">none</span>}</dd>
        <dt>Events</dt>
        <dd>{quantity(count)}</dd>
        <dt>ID</dt>
        <dd class="alert-id">{alert.id}</dd>
      </dl>
      <h3 class="alert-events-title">
        Events{count > ShownEvents ? ` (the first ${ShownEvents} of ${quantity(count)})` : ""}
      </h3>
      {events.error !== undefined ? <p role="alert">{events.error}</p> : null}
      <DataTable
        label="Alert events"
        columns={eventColumns}
        rows={linked}
        rowKey={(row) => row.id}
        selected={selectedEvent}
        onSelect={(row) => setSelectedEvent(row.id)}
        onOpen={(row) => {
          location.hash = eventHref(row.id, (row.event?.["Timestamp"] as string | undefined) ?? alert.lastSeen)
        }}
        empty="No linked events."
      />
      {dialog === "close" ? (
        <AlertCloseDialog
          alert={alert}
          onCancel={() => setDialog(undefined)}
          onClosed={() => {
            setDialog(undefined)
            changed()
          }}
        />
      ) : null}
      {dialog === "link" ? (
        <AlertLinkDialog
          alert={alert}
          onCancel={() => setDialog(undefined)}
          onLinked={() => {
            setDialog(undefined)
            changed()
          }}
        />
      ) : null}
    </aside>
  )
}
