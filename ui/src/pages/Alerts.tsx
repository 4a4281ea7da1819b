// The Alerts page (SPEC §5, §7 console): the queue of the caller's tenants, polled every 2.5 s
// so new alerts appear (briefly highlighted, counted) without losing the selection or scroll;
// filters in the address; the selected alert (#/alerts/<id>) in a detail pane beside the queue.
import { useEffect, useMemo, useRef, useState } from "preact/hooks"
import { api } from "../api.ts"
import { AlertDetail, assigneeName, type AlertUser } from "../components/AlertDetail.tsx"
import { AlertFilters } from "../components/AlertFilters.tsx"
import { alertsHash, filterOf, PriorityBadge, searchOf, StatusBadge, type AlertFilter, type AlertRecord } from "../components/AlertShared.tsx"
import { DataTable, type Column } from "../components/DataTable.tsx"
import { priorityBand, quantity, shortTime, time } from "../format.ts"
import { useApi } from "../hooks.ts"
import { useRoute } from "../router.ts"
import { useSession, type Session } from "../session.ts"
import "./Alerts.css"

const PollMillis = 2_500
/** How long a newly arrived alert stays highlighted. */
const FreshMillis = 8_000

const loadAlerts = (filter: AlertFilter): Promise<ReadonlyArray<AlertRecord>> =>
  api<ReadonlyArray<AlertRecord>>("GET", "alerts", {
    query: {
      page: filter.page,
      status: filter.statuses,
      tenantID: filter.tenantID === "" ? undefined : [filter.tenantID],
      name: filter.name === "" ? undefined : filter.name,
      timestampField: "lastSeen",
      from: filter.from === "" ? undefined : filter.from,
      to: filter.to === "" ? undefined : filter.to
    }
  })

/** Whether the caller may list the users of a tenant (administrators); others assign to themselves. */
const mayListUsersIn = (session: Session) => (tenantId: string): boolean =>
  session.generalAdministrator || session.user.tenants.some((held) => held.id === tenantId && held.role === "tenant-administrator")

export function AlertsPage() {
  const session = useSession()
  const route = useRoute()
  const filter = useMemo(() => filterOf(route.query), [route.query.toString()])
  const filterKey = searchOf(filter)
  const selected = route.rest[0]
  const alerts = useApi(() => loadAlerts(filter), [filterKey], PollMillis)

  const mayListUsers = useMemo(() => mayListUsersIn(session), [session])
  const listsUsers = session.user.tenants.some((held) => mayListUsers(held.id))
  const users = useApi(() => (listsUsers ? api<ReadonlyArray<AlertUser>>("GET", "users") : Promise.resolve([] as ReadonlyArray<AlertUser>)), [listsUsers])

  // New arrivals: ids not seen before under the same filters, highlighted for a while and counted.
  const seen = useRef<{ key: string; ids: Set<string> } | undefined>(undefined)
  const fresh = useRef(new Map<string, number>())
  const [arrivals, setArrivals] = useState(0)
  useEffect(() => {
    const data = alerts.data
    if (data === undefined) return
    if (seen.current === undefined || seen.current.key !== filterKey) {
      seen.current = { key: filterKey, ids: new Set(data.map((alert) => alert.id)) }
      fresh.current.clear()
      setArrivals(0)
      return
    }
    const now = Date.now()
    let added = 0
    for (const alert of data) {
      if (seen.current.ids.has(alert.id)) continue
      seen.current.ids.add(alert.id)
      fresh.current.set(alert.id, now)
      added++
    }
    for (const [id, at] of fresh.current) if (now - at > FreshMillis) fresh.current.delete(id)
    if (added > 0) setArrivals((count) => count + added)
  }, [alerts.data, filterKey])

  const rows = useMemo(
    () => (alerts.data ?? []).filter((alert) => filter.band === "" || priorityBand(alert.priority) === filter.band),
    [alerts.data, filter.band]
  )
  const summary = rows.find((alert) => alert.id === selected) ?? alerts.data?.find((alert) => alert.id === selected)
  const userList = users.data ?? []
  // The list carries no event counts; the detail's full alert fills them in as alerts are opened.
  const counts = useRef(new Map<string, number>())

  const columns: ReadonlyArray<Column<AlertRecord>> = [
    { title: "Tenant", cell: (alert) => alert.tenantName, nowrap: true },
    { title: "Priority", cell: (alert) => <PriorityBadge priority={alert.priority} />, nowrap: true },
    { title: "Name", cell: (alert) => <span title={alert.name}>{alert.name}</span> },
    { title: "Status", cell: (alert) => <StatusBadge status={alert.status} />, nowrap: true },
    { title: "Assignee", cell: (alert) => assigneeName(alert.assignee, session.user.id, userList), nowrap: true },
    { title: "Grouped by", cell: (alert) => <span title={alert.groupedBy.join(", ")}>{alert.groupedBy.join(", ")}</span> },
    { title: "First seen", cell: (alert) => <span title={time(alert.firstSeen)}>{shortTime(alert.firstSeen)}</span>, nowrap: true },
    { title: "Last seen", cell: (alert) => <span title={time(alert.lastSeen)}>{shortTime(alert.lastSeen)}</span>, nowrap: true },
    {
      title: "Events",
      nowrap: true,
      cell: (alert) => {
        const count = alert.eventsCount ?? alert.events?.length ?? counts.current.get(alert.id)
        return count === undefined ? <span class="muted" title="Select the alert to count its events">–</span> : quantity(count)
      }
    }
  ]

  // Selecting replaces the address (arrow keys would otherwise fill the history); filters keep the selection.
  const select = (id: string | undefined) => location.replace(alertsHash(id, filter))
  const changeFilter = (next: AlertFilter) => location.replace(alertsHash(selected, next))
  const focusTable = () => document.querySelector<HTMLElement>('table[aria-label="Alerts"]')?.focus()
  const focusDetail = () => requestAnimationFrame(() => document.querySelector<HTMLElement>(".alert-detail")?.focus())
  const page = filter.page
  const full = (alerts.data?.length ?? 0) >= 250

  return (
    <section class="alerts-page">
      <div class="alerts-heading">
        <h1>Alerts</h1>
        <span class="muted alerts-count">
          {alerts.data === undefined ? "" : `${quantity(rows.length)} shown${filter.band !== "" ? ` of ${quantity(alerts.data.length)}` : ""} · live, every ${PollMillis / 1000} s`}
        </span>
        <span aria-live="polite" class="alerts-arrivals">
          {arrivals > 0 ? (
            <button
              type="button"
              class="badge alerts-new"
              title="Alerts that arrived since the queue opened; click to scroll to the top"
              onClick={() => {
                setArrivals(0)
                document.querySelector(".alerts-page .table-frame")?.scrollTo({ top: 0 })
              }}
            >
              {arrivals} new
            </button>
          ) : null}
        </span>
      </div>
      <AlertFilters filter={filter} onChange={changeFilter} />
      {alerts.error !== undefined ? <p role="alert">{alerts.error}</p> : null}
      {users.error !== undefined ? <p role="alert">{users.error}</p> : null}
      <div class={selected !== undefined ? "split alerts-split" : undefined}>
        <div>
          <DataTable
            label="Alerts"
            columns={columns}
            rows={rows}
            rowKey={(alert) => alert.id}
            selected={selected}
            onSelect={(alert) => select(alert.id)}
            onOpen={(alert) => {
              select(alert.id)
              focusDetail()
            }}
            rowClass={(alert) => (fresh.current.has(alert.id) ? "alert-fresh" : undefined)}
            empty={alerts.data === undefined ? "Loading…" : "No alerts match."}
          />
          {page > 1 || full ? (
            <div class="alerts-pages">
              <button type="button" disabled={page <= 1} onClick={() => changeFilter({ ...filter, page: page - 1 })}>
                Previous page
              </button>
              <span class="muted">Page {page}</span>
              <button type="button" disabled={!full} onClick={() => changeFilter({ ...filter, page: page + 1 })}>
                Next page
              </button>
            </div>
          ) : null}
        </div>
        {selected !== undefined ? (
          <AlertDetail
            key={selected}
            alertId={selected}
            summary={summary}
            version={summary === undefined ? "" : `${summary.status}|${summary.lastSeen}|${summary.assignee ?? ""}|${summary.updatedAt}`}
            users={userList}
            mayListUsers={mayListUsers}
            onChanged={alerts.reload}
            onLoaded={(alert) => counts.current.set(alert.id, alert.events?.length ?? 0)}
            onEscape={focusTable}
          />
        ) : null}
      </div>
    </section>
  )
}
