// One active list's records (GET activeLists/records, 250 a page, key filter as a regular
// expression), deleting the selected one, exporting the list as a file and importing one.
// Export is fetched with the bearer token and saved as a blob (a plain link would carry no
// token); import sends the file itself as the body, which api() (JSON bodies) cannot.
import { useState } from "preact/hooks"
import { api, failureText } from "../api.ts"
import { time } from "../format.ts"
import { useApi } from "../hooks.ts"
import { DataTable } from "./DataTable.tsx"

export interface ActiveListSummary {
  readonly id: string
  readonly name: string
  readonly count: number
}

interface ActiveListRecord {
  readonly key: string
  readonly fields: Readonly<Record<string, string>>
  readonly createdAt: string | null
  readonly expiresAt: string | null
}

type Format = "csv" | "tsv" | "internal"


/** The format an import file's name implies. */
const formatOf = (fileName: string): Format | undefined => {
  const extension = fileName.toLowerCase().split(".").pop() ?? ""
  if (extension === "csv") return "csv"
  if (extension === "tsv" || extension === "tab") return "tsv"
  if (extension === "jsonl" || extension === "ndjson" || extension === "json") return "internal"
  return undefined
}

/** Where api.ts keeps the session token (the import's raw fetch needs it as the bearer). */

const ContentTypes: Record<Format, string> = { csv: "text/csv", tsv: "text/tab-separated-values", internal: "application/x-ndjson" }

export interface ActiveListRecordsProps {
  readonly correlatorId: string
  readonly tenantName: string
  readonly list: ActiveListSummary
  /** Called after a change, so the lists' counts refresh. */
  readonly onChanged: () => void
}

export function ActiveListRecords(props: ActiveListRecordsProps) {
  const { correlatorId, list } = props
  const [keyFilter, setKeyFilter] = useState("")
  const [appliedKey, setAppliedKey] = useState("")
  const [page, setPage] = useState(1)
  const [selected, setSelected] = useState<string | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [exportFormat, setExportFormat] = useState<Format>("csv")
  const [file, setFile] = useState<File | undefined>(undefined)
  const [keyField, setKeyField] = useState("key")
  const [clear, setClear] = useState(false)

  const records = useApi(
    () =>
      api<ReadonlyArray<ActiveListRecord>>("GET", "activeLists/records", {
        query: { correlatorID: correlatorId, activeListID: list.id, page, key: appliedKey === "" ? undefined : appliedKey }
      }),
    [correlatorId, list.id, page, appliedKey]
  )
  const rows = records.data ?? []

  const run = async (work: () => Promise<string>) => {
    setBusy(true)
    setError(undefined)
    setNotice(undefined)
    try {
      setNotice(await work())
    } catch (failure) {
      setError(failureText(failure))
    } finally {
      setBusy(false)
    }
  }

  const remove = () =>
    run(async () => {
      if (selected === undefined) return ""
      await api("POST", "activeLists/records/delete", { body: { correlatorID: correlatorId, activeListID: list.id, keys: [selected] } })
      setSelected(undefined)
      records.reload()
      props.onChanged()
      return `record ${selected} deleted`
    })

  const exportList = () =>
    run(async () => {
      // api() answers a non-JSON body as text: the file itself.
      const text = await api<string>("GET", "activeLists/export", { query: { correlatorID: correlatorId, activeListID: list.id, format: exportFormat } })
      const blob = new Blob([text], { type: ContentTypes[exportFormat] })
      const name = `${list.id}.${exportFormat === "internal" ? "jsonl" : exportFormat}`
      const url = URL.createObjectURL(blob)
      const anchor = document.createElement("a")
      anchor.href = url
      anchor.download = name
      document.body.append(anchor)
      anchor.click()
      anchor.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      return `exported ${name}`
    })

  const importFile = (event: Event) => {
    event.preventDefault()
    void run(async () => {
      if (file === undefined) throw new Error("choose a file to import")
      const format = formatOf(file.name)
      if (format === undefined) throw new Error(`cannot tell the format of ${file.name}: name it .csv, .tsv or .jsonl`)
      await api("POST", "activeLists/import", {
        query: {
          correlatorID: correlatorId,
          activeListID: list.id,
          format,
          keyField: format === "internal" || keyField.trim() === "" ? undefined : keyField.trim(),
          clear
        },
        body: { raw: file, contentType: ContentTypes[format] }
      })
      records.reload()
      props.onChanged()
      return `imported ${file.name}`
    })
  }

  return (
    <div class="panel active-list-records">
      <h2>
        {list.name} <span class="muted">{list.count} records</span>
      </h2>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault()
          setPage(1)
          setAppliedKey(keyFilter)
        }}
      >
        <label>
          Key (regular expression)
          <input value={keyFilter} onInput={(event) => setKeyFilter(event.currentTarget.value)} />
        </label>
        <button type="submit">Search</button>
        <button type="button" disabled={busy || selected === undefined} onClick={() => void remove()}>
          Delete
        </button>
        <span class="spacer" />
        <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
          Previous
        </button>
        <span class="muted">page {page}</span>
        <button type="button" disabled={rows.length < 250} onClick={() => setPage(page + 1)}>
          Next
        </button>
      </form>
      {records.error !== undefined ? <p role="alert">{records.error}</p> : null}
      <DataTable<ActiveListRecord>
        label="Records"
        rows={rows}
        rowKey={(record) => record.key}
        selected={selected}
        onSelect={(record) => setSelected(record.key)}
        empty={records.loading && records.data === undefined ? "Loading…" : "No records."}
        columns={[
          { title: "Tenant", cell: () => props.tenantName, nowrap: true },
          { title: "Key", cell: (record) => <code>{record.key}</code> },
          {
            title: "Fields",
            cell: (record) =>
              Object.entries(record.fields)
                .map(([name, value]) => `${name}=${value}`)
                .join(", ")
          },
          { title: "Created", cell: (record) => time(record.createdAt), nowrap: true },
          { title: "Expires", cell: (record) => (record.expiresAt === null ? "never" : time(record.expiresAt)), nowrap: true }
        ]}
      />
      <div class="toolbar active-list-files">
        <label>
          Export format
          <select value={exportFormat} onChange={(event) => setExportFormat(event.currentTarget.value as Format)}>
            <option value="csv">CSV</option>
            <option value="tsv">TSV</option>
            <option value="internal">internal (JSON lines)</option>
          </select>
        </label>
        <button type="button" disabled={busy} onClick={() => void exportList()}>
          Export
        </button>
      </div>
      <form class="toolbar active-list-files" onSubmit={importFile}>
        <label>
          List file (.csv, .tsv, .jsonl)
          <input type="file" accept=".csv,.tsv,.jsonl,.ndjson,.json" onChange={(event) => setFile(event.currentTarget.files?.[0])} />
        </label>
        <label>
          Key field
          <input value={keyField} size={12} onInput={(event) => setKeyField(event.currentTarget.value)} />
        </label>
        <label class="inline">
          <input type="checkbox" checked={clear} onChange={(event) => setClear(event.currentTarget.checked)} />
          Clear the list first
        </label>
        <button type="submit" disabled={busy || file === undefined}>
          Import
        </button>
      </form>
      {error !== undefined ? <p role="alert">{error}</p> : null}
      {notice !== undefined && notice !== "" ? <p role="status" class="muted">{notice}</p> : null}
    </div>
  )
}
