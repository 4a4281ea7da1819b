// The alert queue's filters: status (several), tenant, priority band, name (a regular expression)
// and a period on lastSeen. Choices apply at once; the name applies on Enter or Apply.
import { useEffect, useState } from "preact/hooks"
import { fromLocalInput, localInput } from "../format.ts"
import { useSession } from "../session.ts"
import { AlertStatuses, Bands, type AlertFilter, type AlertStatus, type Band } from "./AlertShared.tsx"

export function AlertFilters(props: { readonly filter: AlertFilter; readonly onChange: (filter: AlertFilter) => void }) {
  const session = useSession()
  const { filter } = props
  const [name, setName] = useState(filter.name)
  useEffect(() => setName(filter.name), [filter.name])
  const change = (patch: Partial<AlertFilter>) => props.onChange({ ...filter, page: 1, ...patch })
  const toggle = (status: AlertStatus, on: boolean) =>
    change({ statuses: AlertStatuses.filter((candidate) => (candidate === status ? on : filter.statuses.includes(candidate))) })
  const anyFilter = filter.statuses.length > 0 || filter.tenantID !== "" || filter.band !== "" || filter.name !== "" || filter.from !== "" || filter.to !== ""

  return (
    <form
      class="toolbar alert-filters"
      onSubmit={(event) => {
        event.preventDefault()
        change({ name: name.trim() })
      }}
    >
      <fieldset class="alert-statuses">
        <legend>Status</legend>
        {AlertStatuses.map((status) => (
          <label key={status} class="check">
            <input type="checkbox" checked={filter.statuses.includes(status)} onChange={(event) => toggle(status, event.currentTarget.checked)} />
            {status}
          </label>
        ))}
      </fieldset>
      <label>
        Tenant
        <select value={filter.tenantID} onChange={(event) => change({ tenantID: event.currentTarget.value })}>
          <option value="">All my tenants</option>
          {session.user.tenants.map((tenant) => (
            <option key={tenant.id} value={tenant.id}>
              {tenant.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Priority
        <select value={filter.band} onChange={(event) => change({ band: event.currentTarget.value as Band | "" })}>
          <option value="">Any</option>
          {Bands.map((band) => (
            <option key={band} value={band}>
              {band}
            </option>
          ))}
        </select>
      </label>
      <label>
        Name (regular expression)
        <input type="search" value={name} placeholder="e.g. password|brute" onInput={(event) => setName(event.currentTarget.value)} />
      </label>
      <label>
        Last seen from
        <input type="datetime-local" value={localInput(filter.from)} onChange={(event) => change({ from: fromLocalInput(event.currentTarget.value) ?? "" })} />
      </label>
      <label>
        to
        <input type="datetime-local" value={localInput(filter.to)} onChange={(event) => change({ to: fromLocalInput(event.currentTarget.value) ?? "" })} />
      </label>
      <button type="submit">Apply</button>
      {anyFilter ? (
        <button type="button" class="link" onClick={() => props.onChange({ statuses: [], tenantID: "", band: "", name: "", from: "", to: "", page: 1 })}>
          Clear filters
        </button>
      ) : null}
    </form>
  )
}
