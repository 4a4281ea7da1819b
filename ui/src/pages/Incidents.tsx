// The Incidents page (issue 8): the incidents of the user's tenants with status, tenant and name
// filters; the selected one (also #/incidents/<id>) in a pane to link, unlink, assign, merge and
// close; "Create incident" opens a dialog. Every row shows its tenant.
import { useEffect, useState } from "preact/hooks"
import { api } from "../api.ts"
import { DataTable } from "../components/DataTable.tsx"
import { IncidentCreateDialog } from "../components/IncidentCreateDialog.tsx"
import { IncidentDetail } from "../components/IncidentDetail.tsx"
import { IncidentPriorityBadge, IncidentStatusBadge, IncidentStatuses, type Incident } from "../components/IncidentTypes.tsx"
import { time } from "../format.ts"
import { useApi } from "../hooks.ts"
import { href, useRoute } from "../router.ts"
import { useSession } from "../session.ts"
import "./Incidents.css"

export function IncidentsPage() {
  const session = useSession()
  const route = useRoute()
  const [status, setStatus] = useState("")
  const [tenant, setTenant] = useState("")
  const [name, setName] = useState("")
  const [appliedName, setAppliedName] = useState("")
  const [creating, setCreating] = useState(false)
  const [selectedState, setSelected] = useState<string | undefined>(route.rest[0])
  // A changed incident is shown at once, before the list reloads.
  const [changed, setChanged] = useState<Incident | undefined>(undefined)
  const incidents = useApi(
    () =>
      api<ReadonlyArray<Incident>>("GET", "incidents", {
        query: { status: status === "" ? undefined : [status], tenantID: tenant === "" ? undefined : [tenant], name: appliedName === "" ? undefined : appliedName }
      }),
    [status, tenant, appliedName],
    10_000
  )
  // A link to #/incidents/<id> selects that incident.
  const routed = route.rest[0]
  useEffect(() => {
    if (routed !== undefined) setSelected(routed)
  }, [routed])
  const selected = selectedState
  const rows = (incidents.data ?? []).map((incident) => (changed !== undefined && changed.id === incident.id ? changed : incident))
  const listed = rows.find((incident) => incident.id === selected)
  // One the filters leave out (a link from elsewhere) is read on its own.
  const missing = selected !== undefined && listed === undefined && incidents.data !== undefined && (changed === undefined || changed.id !== selected)
  const single = useApi(() => (missing ? api<Incident>("GET", `incidents/${selected}`) : Promise.resolve(undefined)), [missing, selected])
  const current = changed !== undefined && changed.id === selected ? changed : (listed ?? (missing && single.data?.id === selected ? single.data : undefined))

  const select = (incident: Incident) => {
    setSelected(incident.id)
    setChanged(undefined)
    history.replaceState(null, "", href("incidents", [incident.id]))
  }
  const onChanged = (incident: Incident) => {
    setChanged(incident)
    incidents.reload()
  }

  return (
    <section class="incidents-page">
      <h1>Incidents</h1>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault()
          setAppliedName(name)
        }}
      >
        <label>
          Status
          <select value={status} onChange={(event) => setStatus(event.currentTarget.value)}>
            <option value="">any</option>
            {IncidentStatuses.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tenant
          <select value={tenant} onChange={(event) => setTenant(event.currentTarget.value)}>
            <option value="">all my tenants</option>
            {session.tenants.map((held) => (
              <option key={held.id} value={held.id}>
                {held.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name (regular expression)
          <input value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>
        <button type="submit">Search</button>
        <span class="spacer" />
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          Create incident
        </button>
      </form>
      {incidents.error !== undefined ? <p role="alert">{incidents.error}</p> : null}
      {missing && single.error !== undefined ? <p role="alert">{single.error}</p> : null}
      <div class="split">
        <DataTable<Incident>
          label="Incidents"
          rows={rows}
          rowKey={(incident) => incident.id}
          selected={selected}
          onSelect={select}
          onOpen={select}
          empty={incidents.loading && incidents.data === undefined ? "Loading…" : "No incidents."}
          columns={[
            { title: "Tenant", cell: (incident) => incident.tenantName, nowrap: true },
            { title: "Priority", cell: (incident) => <IncidentPriorityBadge priority={incident.priority} />, nowrap: true },
            { title: "Name", cell: (incident) => incident.name },
            { title: "Status", cell: (incident) => <IncidentStatusBadge status={incident.status} />, nowrap: true },
            { title: "Assignee", cell: (incident) => (incident.assignee === undefined ? "" : incident.assignee === session.user.id ? session.user.login : <code title={incident.assignee}>{incident.assignee.slice(0, 8)}</code>), nowrap: true },
            { title: "Alerts", cell: (incident) => incident.alertIDs.length, nowrap: true },
            { title: "Updated", cell: (incident) => time(incident.updatedAt), nowrap: true }
          ]}
        />
        {current !== undefined ? (
          <IncidentDetail key={current.id} incident={current} others={rows} onChanged={onChanged} />
        ) : (
          <aside class="panel muted">Select an incident to see its alerts, merge or close it.</aside>
        )}
      </div>
      {creating ? (
        <IncidentCreateDialog
          onClose={() => setCreating(false)}
          onCreated={(incident) => {
            setCreating(false)
            select(incident)
            setChanged(incident)
            incidents.reload()
          }}
        />
      ) : null}
    </section>
  )
}
