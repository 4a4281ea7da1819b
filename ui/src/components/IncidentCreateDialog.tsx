// "Create incident": a modal form (tenant among those the user may work in, name, priority,
// category, type, description) -> POST /api/v1/incidents; the API's refusal is shown verbatim.
import { useEffect, useRef, useState } from "preact/hooks"
import { api } from "../api.ts"
import { useAction } from "../hooks.ts"
import { useSession } from "../session.ts"
import { IncidentPriorities, type Incident, type IncidentPriority } from "./IncidentTypes.tsx"

/** Roles that may open incidents by hand (junior analysts only read). */
const Managing = new Set(["general-administrator", "tenant-administrator", "tier-2-analyst", "tier-1-analyst"])

export function IncidentCreateDialog(props: { readonly onClose: () => void; readonly onCreated: (incident: Incident) => void }) {
  const session = useSession()
  const dialog = useRef<HTMLDialogElement>(null)
  const held = session.user.tenants.filter((tenant) => Managing.has(tenant.role))
  const choices = held.length > 0 ? held : session.user.tenants
  const [tenantID, setTenantID] = useState(choices[0]?.id ?? "")
  const [name, setName] = useState("")
  const [priority, setPriority] = useState<IncidentPriority>("medium")
  const [category, setCategory] = useState("")
  const [type, setType] = useState("")
  const [description, setDescription] = useState("")
  const { busy, error, run } = useAction()

  useEffect(() => {
    const element = dialog.current
    if (element !== null && !element.open) element.showModal()
  }, [])

  const submit = async (event: Event) => {
    event.preventDefault()
    const created = await run(() => api<Incident>("POST", "incidents", { body: { tenantID, name, priority, category, type, description } }))
    if (created !== undefined) props.onCreated(created)
  }

  return (
    <dialog ref={dialog} aria-label="Create incident" class="incident-dialog" onClose={props.onClose}>
      <form onSubmit={submit} class="form-grid">
        <h2>Create incident</h2>
        <label>
          Tenant
          <select value={tenantID} onChange={(event) => setTenantID(event.currentTarget.value)}>
            {choices.map((tenant) => (
              <option key={tenant.id} value={tenant.id}>
                {tenant.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input required maxLength={512} value={name} onInput={(event) => setName(event.currentTarget.value)} />
        </label>
        <label>
          Priority
          <select value={priority} onChange={(event) => setPriority(event.currentTarget.value as IncidentPriority)}>
            {IncidentPriorities.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          Category
          <input maxLength={4096} value={category} onInput={(event) => setCategory(event.currentTarget.value)} />
        </label>
        <label>
          Type
          <input maxLength={4096} value={type} onInput={(event) => setType(event.currentTarget.value)} />
        </label>
        <label>
          Description
          <textarea rows={4} value={description} onInput={(event) => setDescription(event.currentTarget.value)} />
        </label>
        {error !== undefined ? <p role="alert">{error}</p> : null}
        <div class="buttons">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Create incident
          </button>
        </div>
      </form>
    </dialog>
  )
}
