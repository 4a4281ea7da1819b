// The alert detail's dialogs: close with one of KUMA's three reasons, and link to an open
// incident of the alert's tenant (or create one from the alert and link it). Each shows the API's
// words when it refuses.
import type { ComponentChildren } from "preact"
import { useEffect, useRef, useState } from "preact/hooks"
import { api, failureText } from "../api.ts"
import { priorityBand, time } from "../format.ts"
import { useApi } from "../hooks.ts"
import { ClosingReasons, type AlertRecord, type ClosingReason } from "./AlertShared.tsx"


/** A modal dialog shown while mounted; Escape or Cancel calls onClose. */
function AlertModal(props: { readonly title: string; readonly onClose: () => void; readonly children: ComponentChildren }) {
  const dialog = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const element = dialog.current
    if (element !== null && !element.open) element.showModal()
    return () => element?.close()
  }, [])
  return (
    <dialog
      ref={dialog}
      class="alert-dialog"
      aria-label={props.title}
      onClose={props.onClose}
      // Escape closes the dialog only, not the detail pane behind it.
      onKeyDown={(event) => {
        if (event.key === "Escape") event.stopPropagation()
      }}
    >
      <h2>{props.title}</h2>
      {props.children}
    </dialog>
  )
}

export function AlertCloseDialog(props: { readonly alert: AlertRecord; readonly onClosed: () => void; readonly onCancel: () => void }) {
  const [reason, setReason] = useState<ClosingReason | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)
  const submit = async (event: Event) => {
    event.preventDefault()
    if (reason === undefined) return
    setBusy(true)
    setError(undefined)
    try {
      await api("POST", "alerts/close", { body: { id: props.alert.id, reason } })
      props.onClosed()
    } catch (failure) {
      setError(failureText(failure))
      setBusy(false)
    }
  }
  return (
    <AlertModal title="Close alert" onClose={props.onCancel}>
      <form onSubmit={(event) => void submit(event)} class="alert-dialog-form">
        <p class="muted">{props.alert.name}</p>
        <fieldset class="alert-reasons">
          <legend>Reason</legend>
          {ClosingReasons.map((candidate) => (
            <label key={candidate} class="check">
              <input type="radio" name="reason" value={candidate} checked={reason === candidate} onChange={() => setReason(candidate)} />
              {candidate}
            </label>
          ))}
        </fieldset>
        {error !== undefined ? <p role="alert">{error}</p> : null}
        <div class="alert-dialog-buttons">
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={reason === undefined || busy}>
            Close alert
          </button>
        </div>
      </form>
    </AlertModal>
  )
}

interface IncidentSummary {
  readonly id: string
  readonly tenantID: string
  readonly name: string
  readonly priority: string
  readonly status: string
  readonly assignee?: string
  readonly alertIDs: ReadonlyArray<string>
  readonly createdAt: string
}

export function AlertLinkDialog(props: { readonly alert: AlertRecord; readonly onLinked: () => void; readonly onCancel: () => void }) {
  const { alert } = props
  const incidents = useApi(
    () => api<ReadonlyArray<IncidentSummary>>("GET", "incidents", { query: { tenantID: [alert.tenantID], status: ["open", "assigned"] } }),
    [alert.tenantID]
  )
  const [chosen, setChosen] = useState<string | undefined>(undefined)
  const [name, setName] = useState(alert.name)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)

  const link = async (incidentId: string) => {
    await api("POST", `incidents/${encodeURIComponent(incidentId)}/link`, { body: { alertIDs: [alert.id] } })
    props.onLinked()
  }
  const attempt = async (work: () => Promise<void>) => {
    setBusy(true)
    setError(undefined)
    try {
      await work()
    } catch (failure) {
      setError(failureText(failure))
      setBusy(false)
    }
  }
  const create = () =>
    attempt(async () => {
      const incident = await api<IncidentSummary>("POST", "incidents", {
        body: { name: name.trim() === "" ? alert.name : name.trim(), tenantID: alert.tenantID, priority: priorityBand(alert.priority) }
      })
      await link(incident.id)
    })

  const open = incidents.data ?? []
  return (
    <AlertModal title="Link to incident" onClose={props.onCancel}>
      <form
        class="alert-dialog-form"
        onSubmit={(event) => {
          event.preventDefault()
          if (chosen !== undefined) void attempt(() => link(chosen))
        }}
      >
        <p class="muted">
          Open incidents of {alert.tenantName} for “{alert.name}”
        </p>
        {incidents.error !== undefined ? <p role="alert">{incidents.error}</p> : null}
        {incidents.data === undefined && incidents.error === undefined ? <p class="muted">Loading…</p> : null}
        {incidents.data !== undefined && open.length === 0 ? <p class="muted">No open incidents in this tenant.</p> : null}
        {open.length > 0 ? (
          <fieldset class="alert-incidents">
            <legend>Incident</legend>
            {open.map((incident) => (
              <label key={incident.id} class="check alert-incident">
                <input type="radio" name="incident" value={incident.id} checked={chosen === incident.id} onChange={() => setChosen(incident.id)} />
                <span>
                  <strong>{incident.name}</strong>{" "}
                  <span class={`badge priority-${incident.priority}`}>{incident.priority}</span>{" "}
                  <span class="muted">
                    {incident.status} · {incident.alertIDs.length} alerts · {time(incident.createdAt)}
                  </span>
                </span>
              </label>
            ))}
          </fieldset>
        ) : null}
        <div class="alert-dialog-buttons">
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={chosen === undefined || busy}>
            Link to incident
          </button>
        </div>
        <div class="alert-create-incident">
          <label>
            New incident name
            <input value={name} onInput={(event) => setName(event.currentTarget.value)} />
          </label>
          <button type="button" disabled={busy} onClick={() => void create()}>
            Create incident
          </button>
        </div>
        {error !== undefined ? <p role="alert">{error}</p> : null}
      </form>
    </AlertModal>
  )
}
