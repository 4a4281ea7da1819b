// The Active lists page (issue 8): a correlator of the user's tenants, its active lists with their
// record counts (GET activeLists?correlatorID=), and the selected list's records to filter,
// delete, export and import. Every row shows its tenant (the correlator's).
import { useEffect, useState } from "preact/hooks"
import { api } from "../api.ts"
import { ActiveListRecords, type ActiveListSummary } from "../components/ActiveListRecords.tsx"
import { DataTable } from "../components/DataTable.tsx"
import { useApi } from "../hooks.ts"
import { href, useRoute } from "../router.ts"
import "./ActiveLists.css"

interface CorrelatorChoice {
  readonly id: string
  readonly tenantID: string
  readonly tenantName: string
  readonly name: string
  /** The names of its active lists, when GET correlators says. */
  readonly activeLists?: ReadonlyArray<string>
}

/** The correlators (GET correlators), or the correlator services where that is not offered. */
const loadCorrelators = async (): Promise<ReadonlyArray<CorrelatorChoice>> => {
  try {
    return await api<ReadonlyArray<CorrelatorChoice>>("GET", "correlators")
  } catch {
    return api<ReadonlyArray<CorrelatorChoice>>("GET", "services", { query: { kind: ["correlator"] } })
  }
}

export function ActiveListsPage() {
  const route = useRoute()
  const correlators = useApi(loadCorrelators, [])
  const [chosen, setChosen] = useState<string | undefined>(route.query.get("correlator") ?? undefined)
  const [selectedList, setSelectedList] = useState<string | undefined>(route.rest[0])
  const choices = correlators.data ?? []
  // Unless one is chosen, open on the first correlator that keeps lists at all.
  const correlatorId = chosen ?? (choices.find((choice) => (choice.activeLists?.length ?? 0) > 0) ?? choices[0])?.id
  const correlator = choices.find((choice) => choice.id === correlatorId)
  const lists = useApi(
    () => (correlatorId === undefined ? Promise.resolve<ReadonlyArray<ActiveListSummary>>([]) : api<ReadonlyArray<ActiveListSummary>>("GET", "activeLists", { query: { correlatorID: correlatorId } })),
    [correlatorId]
  )
  const rows = lists.data ?? []
  const list = rows.find((candidate) => candidate.id === selectedList)

  useEffect(() => {
    if (correlatorId === undefined) return
    history.replaceState(null, "", href("active-lists", selectedList === undefined ? [] : [selectedList], { correlator: correlatorId }))
  }, [correlatorId, selectedList])

  return (
    <section class="active-lists-page">
      <h1>Active lists</h1>
      <div class="toolbar">
        <label>
          Correlator
          <select
            value={correlatorId ?? ""}
            onChange={(event) => {
              setChosen(event.currentTarget.value)
              setSelectedList(undefined)
            }}
          >
            {choices.map((choice) => (
              <option key={choice.id} value={choice.id}>
                {choice.tenantName} / {choice.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => lists.reload()}>
          Refresh
        </button>
      </div>
      {correlators.error !== undefined ? <p role="alert">{correlators.error}</p> : null}
      {lists.error !== undefined ? <p role="alert">{lists.error}</p> : null}
      {correlators.data !== undefined && choices.length === 0 ? <p class="muted">No correlators in your tenants.</p> : null}
      <div class="active-lists-layout">
        <DataTable<ActiveListSummary>
          label="Active lists"
          rows={rows}
          rowKey={(summary) => summary.id}
          selected={selectedList}
          onSelect={(summary) => setSelectedList(summary.id)}
          onOpen={(summary) => setSelectedList(summary.id)}
          empty={lists.loading && lists.data === undefined ? "Loading…" : "This correlator has no active lists."}
          columns={[
            { title: "Tenant", cell: () => correlator?.tenantName ?? "", nowrap: true },
            { title: "Name", cell: (summary) => summary.name },
            { title: "ID", cell: (summary) => <code title={summary.id}>{summary.id.slice(0, 8)}</code>, nowrap: true },
            { title: "Records", cell: (summary) => summary.count, nowrap: true }
          ]}
        />
        {list !== undefined && correlatorId !== undefined ? (
          <ActiveListRecords key={`${correlatorId}/${list.id}`} correlatorId={correlatorId} tenantName={correlator?.tenantName ?? ""} list={list} onChanged={() => lists.reload()} />
        ) : (
          <div class="panel muted">Select a list to see its records.</div>
        )}
      </div>
    </section>
  )
}
