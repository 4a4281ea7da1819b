// The Rules page (issue 8): the correlators of the user's tenants with their revision and rules
// (GET correlators); the selected one's rules and YAML document to edit, validate and deploy.
// Every row shows its tenant.
import { useEffect, useState } from "preact/hooks"
import { api } from "../api.ts"
import { CorrelatorEditor } from "../components/CorrelatorEditor.tsx"
import type { CorrelatorSummary } from "../components/CorrelatorTypes.tsx"
import { DataTable } from "../components/DataTable.tsx"
import { useApi } from "../hooks.ts"
import { href, useRoute } from "../router.ts"
import "./Rules.css"

export function RulesPage() {
  const route = useRoute()
  const correlators = useApi(() => api<ReadonlyArray<CorrelatorSummary>>("GET", "correlators"), [])
  const [selected, setSelected] = useState<string | undefined>(route.rest[0])
  const routed = route.rest[0]
  useEffect(() => {
    if (routed !== undefined) setSelected(routed)
  }, [routed])
  const rows = correlators.data ?? []
  // The first correlator is shown when none is chosen.
  const current = selected ?? rows[0]?.id

  const select = (correlator: CorrelatorSummary) => {
    setSelected(correlator.id)
    history.replaceState(null, "", href("rules", [correlator.id]))
  }

  return (
    <section class="rules-page">
      <h1>Rules</h1>
      {correlators.error !== undefined ? <p role="alert">{correlators.error}</p> : null}
      <div class="rules-layout">
        <DataTable<CorrelatorSummary>
          label="Correlators"
          rows={rows}
          rowKey={(correlator) => correlator.id}
          selected={current}
          onSelect={select}
          onOpen={select}
          empty={correlators.loading && correlators.data === undefined ? "Loading…" : "No correlators in your tenants."}
          columns={[
            { title: "Tenant", cell: (correlator) => correlator.tenantName, nowrap: true },
            { title: "Name", cell: (correlator) => correlator.name },
            { title: "Revision", cell: (correlator) => correlator.revision, nowrap: true },
            { title: "Rules", cell: (correlator) => correlator.rules.length, nowrap: true }
          ]}
        />
        {current !== undefined ? <CorrelatorEditor key={current} correlatorId={current} onDeployed={() => correlators.reload()} /> : null}
      </div>
    </section>
  )
}
