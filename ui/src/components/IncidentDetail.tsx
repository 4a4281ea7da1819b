// The selected incident: its fields, its linked alerts (each a link to the alert, "Unlink"),
// linking another alert by id, assigning, merging another incident of its tenant into it, and
// closing it with a reason. Every change answers with the incident as it now is.
import { useState } from "preact/hooks"
import { api } from "../api.ts"
import { priorityBand, time } from "../format.ts"
import { useAction, useApi } from "../hooks.ts"
import { href, navigate } from "../router.ts"
import { useSession } from "../session.ts"
import { DataTable } from "./DataTable.tsx"
import { IncidentPriorityBadge, IncidentStatusBadge, type Incident, type IncidentAlert } from "./IncidentTypes.tsx"

export interface IncidentDetailProps {
  readonly incident: Incident
  /** The other incidents listed, for the merge picker (only those of the same tenant are offered). */
  readonly others: ReadonlyArray<Incident>
  readonly onChanged: (incident: Incident) => void
}

export function IncidentDetail(props: IncidentDetailProps) {
  const { incident } = props
  const session = useSession()
  const { busy, error, setError, run } = useAction()
  const [selectedAlert, setSelectedAlert] = useState<string | undefined>(undefined)
  const [alertToLink, setAlertToLink] = useState("")
  const [mergeFrom, setMergeFrom] = useState("")
  const [reason, setReason] = useState("")
  const alertKey = incident.alertIDs.join(",")
  const alerts = useApi(
    () => (incident.alertIDs.length === 0 ? Promise.resolve([]) : api<ReadonlyArray<IncidentAlert>>("GET", "alerts", { query: { id: incident.alertIDs } })),
    [incident.id, alertKey]
  )
  const closed = incident.status === "closed"
  const mergeable = props.others.filter((other) => other.id !== incident.id && other.tenantID === incident.tenantID && other.status !== "closed" && other.mergedInto === undefined)

  const act = async (change: () => Promise<Incident>, after?: () => void) => {
    const changed = await run(change)
    if (changed === undefined) return
    props.onChanged(changed)
    after?.()
  }

  const unlink = () => {
    if (selectedAlert === undefined) return
    void act(() => api<Incident>("POST", `incidents/${incident.id}/unlink`, { body: { alertIDs: [selectedAlert] } }), () => setSelectedAlert(undefined))
  }
  const link = (event: Event) => {
    event.preventDefault()
    const id = alertToLink.trim()
    if (id === "") return
    void act(() => api<Incident>("POST", `incidents/${incident.id}/link`, { body: { alertIDs: [id] } }), () => setAlertToLink(""))
  }
  const merge = (event: Event) => {
    event.preventDefault()
    if (mergeFrom === "") return
    void act(() => api<Incident>("POST", `incidents/${incident.id}/merge`, { body: { from: mergeFrom } }), () => setMergeFrom(""))
  }
  const close = (event: Event) => {
    event.preventDefault()
    if (reason.trim() === "") {
      setError("give a closing reason")
      return
    }
    void act(() => api<Incident>("PATCH", `incidents/${incident.id}`, { body: { closingReason: reason.trim() } }), () => setReason(""))
  }
  const assign = (assignee: string | null) => void act(() => api<Incident>("PATCH", `incidents/${incident.id}`, { body: { assignee } }))

  return (
    <aside class="panel detail incident-detail" aria-label="Incident">
      <h2>{incident.name}</h2>
      <dl>
        <dt>Tenant</dt>
        <dd>{incident.tenantName}</dd>
        <dt>Status</dt>
        <dd>
          <IncidentStatusBadge status={incident.status} />
          {incident.closingReason !== undefined ? <span class="muted"> {incident.closingReason}</span> : null}
        </dd>
        <dt>Priority</dt>
        <dd>
          <IncidentPriorityBadge priority={incident.priority} />
        </dd>
        <dt>Assignee</dt>
        <dd>{incident.assignee === undefined ? <span class="muted">nobody</span> : incident.assignee === session.user.id ? `${session.user.name} (you)` : incident.assignee}</dd>
        <dt>Category</dt>
        <dd>{incident.category}</dd>
        <dt>Type</dt>
        <dd>{incident.type}</dd>
        <dt>Created</dt>
        <dd>{time(incident.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{time(incident.updatedAt)}</dd>
        {incident.mergedInto !== undefined ? (
          <>
            <dt>Merged into</dt>
            <dd>
              <a href={href("incidents", [incident.mergedInto])}>{incident.mergedInto}</a>
            </dd>
          </>
        ) : null}
        <dt>Assets</dt>
        <dd>{incident.affectedAssets.join(", ")}</dd>
        <dt>Accounts</dt>
        <dd>{incident.affectedAccounts.join(", ")}</dd>
        <dt>ID</dt>
        <dd>
          <code>{incident.id}</code>
        </dd>
      </dl>
      {incident.description !== "" ? <p class="incident-description">{incident.description}</p> : null}
      {error !== undefined ? <p role="alert">{error}</p> : null}

      <h3>Linked alerts ({incident.alertIDs.length})</h3>
      {alerts.error !== undefined ? <p role="alert">{alerts.error}</p> : null}
      <DataTable<IncidentAlert>
        label="Incident alerts"
        rows={alerts.data ?? []}
        rowKey={(alert) => alert.id}
        selected={selectedAlert}
        onSelect={(alert) => setSelectedAlert(alert.id)}
        onOpen={(alert) => navigate(href("alerts", [alert.id]))}
        empty={alerts.loading && incident.alertIDs.length > 0 ? "Loading…" : "No linked alerts."}
        columns={[
          { title: "Tenant", cell: (alert) => alert.tenantName, nowrap: true },
          { title: "Priority", cell: (alert) => <span class={`badge priority-${priorityBand(alert.priority)}`}>{alert.priority}</span>, nowrap: true },
          { title: "Name", cell: (alert) => <a href={href("alerts", [alert.id])}>{alert.name}</a> },
          { title: "Status", cell: (alert) => <span class={`badge status-${alert.status}`}>{alert.status}</span>, nowrap: true }
        ]}
      />
      {!closed ? (
        <>
          <div class="toolbar incident-row">
            <button type="button" disabled={busy || selectedAlert === undefined} onClick={unlink}>
              Unlink
            </button>
            {incident.assignee !== session.user.id ? (
              <button type="button" disabled={busy} onClick={() => assign(session.user.id)}>
                Assign to me
              </button>
            ) : (
              <button type="button" disabled={busy} onClick={() => assign(null)}>
                Unassign
              </button>
            )}
          </div>
          <form class="toolbar" onSubmit={link}>
            <label>
              Alert ID to link
              <input value={alertToLink} size={38} placeholder="00000000-0000-0000-0000-000000000000" onInput={(event) => setAlertToLink(event.currentTarget.value)} />
            </label>
            <button type="submit" disabled={busy || alertToLink.trim() === ""}>
              Link alert
            </button>
          </form>
          <form class="toolbar" onSubmit={merge}>
            <label>
              Incident to merge into this one
              <select value={mergeFrom} onChange={(event) => setMergeFrom(event.currentTarget.value)}>
                <option value="">{mergeable.length === 0 ? "(no other open incident of this tenant)" : "Choose…"}</option>
                {mergeable.map((other) => (
                  <option key={other.id} value={other.id}>
                    {other.name} ({other.alertIDs.length} alerts)
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={busy || mergeFrom === ""}>
              Merge
            </button>
          </form>
          <form class="toolbar" onSubmit={close}>
            <label>
              Closing reason
              <input value={reason} maxLength={4096} onInput={(event) => setReason(event.currentTarget.value)} />
            </label>
            <button type="submit" disabled={busy}>
              Close incident
            </button>
          </form>
        </>
      ) : null}
    </aside>
  )
}
