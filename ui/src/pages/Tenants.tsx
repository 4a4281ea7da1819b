// The Tenants page (issue 8): the tenants the signed-in user holds a role in (GET tenants),
// read-only, with the user's own role in each.
import { useState } from "preact/hooks"
import { api } from "../api.ts"
import { DataTable } from "../components/DataTable.tsx"
import { useApi } from "../hooks.ts"
import { useSession, type Tenant } from "../session.ts"

export function TenantsPage() {
  const session = useSession()
  const tenants = useApi(() => api<ReadonlyArray<Tenant>>("GET", "tenants"), [])
  const [selected, setSelected] = useState<string | undefined>(undefined)
  const roleIn = (id: string) => session.user.tenants.find((held) => held.id === id)?.role ?? ""
  return (
    <section>
      <h1>Tenants</h1>
      {tenants.error !== undefined ? <p role="alert">{tenants.error}</p> : null}
      <DataTable<Tenant>
        label="Tenants"
        rows={tenants.data ?? []}
        rowKey={(tenant) => tenant.id}
        selected={selected}
        onSelect={(tenant) => setSelected(tenant.id)}
        empty={tenants.loading ? "Loading…" : "No tenants."}
        columns={[
          { title: "Tenant", cell: (tenant) => tenant.name, nowrap: true },
          { title: "ID", cell: (tenant) => <code>{tenant.id}</code>, nowrap: true },
          { title: "Kind", cell: (tenant) => (tenant.main ? <span class="badge">main</span> : tenant.id === "shared" ? <span class="badge">shared</span> : "tenant"), nowrap: true },
          { title: "Your role", cell: (tenant) => roleIn(tenant.id) }
        ]}
      />
    </section>
  )
}
