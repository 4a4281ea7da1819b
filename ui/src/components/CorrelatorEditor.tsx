// A correlator's rules and its YAML document: "Validate" asks the API to check the edited text the
// way a deploy would (its message and details shown verbatim), "Save and reload" deploys it as the
// next revision, which the running partitions reload.
import { useEffect, useState } from "preact/hooks"
import { api, failureText } from "../api.ts"
import { useApi } from "../hooks.ts"
import { DataTable } from "./DataTable.tsx"
import type { CorrelatorDetail, CorrelatorRule } from "./CorrelatorTypes.tsx"

type Outcome = { readonly kind: "ok"; readonly text: string } | { readonly kind: "error"; readonly text: string }


export function CorrelatorEditor(props: { readonly correlatorId: string; readonly onDeployed: (revision: number) => void }) {
  const detail = useApi(() => api<CorrelatorDetail>("GET", `correlators/${encodeURIComponent(props.correlatorId)}`), [props.correlatorId])
  const [text, setText] = useState<string | undefined>(undefined)
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [selectedRule, setSelectedRule] = useState<string | undefined>(undefined)

  // The loaded document fills the editor until the user edits it.
  // (After a save it waits for the reloaded document, not the one the save replaced.)
  const loaded = detail.loading ? undefined : detail.data?.document
  useEffect(() => {
    if (loaded !== undefined && text === undefined) setText(loaded)
  }, [loaded, text])

  const data = detail.data
  if (data === undefined) {
    return <div class="panel">{detail.error !== undefined ? <p role="alert">{detail.error}</p> : <p class="muted">Loading…</p>}</div>
  }
  const document = text ?? data.document
  const edited = document !== data.document

  const validate = async () => {
    setBusy(true)
    setOutcome(undefined)
    try {
      const answer = await api<{ valid: boolean; rules: number; revision: number }>("POST", `correlators/${encodeURIComponent(data.id)}/validate`, {
        body: { document, format: "yaml" }
      })
      setOutcome({ kind: "ok", text: `valid: ${answer.rules} ${answer.rules === 1 ? "rule" : "rules"}, would follow revision ${answer.revision}` })
    } catch (failure) {
      setOutcome({ kind: "error", text: failureText(failure) })
    } finally {
      setBusy(false)
    }
  }

  const save = async () => {
    setBusy(true)
    setOutcome(undefined)
    try {
      const answer = await api<{ revision: number; created: boolean }>("PUT", `correlators/${encodeURIComponent(data.id)}`, { body: { document, format: "yaml" } })
      setOutcome({ kind: "ok", text: answer.created ? `saved: revision ${answer.revision} deployed, the correlator reloads` : `unchanged: revision ${answer.revision} already holds this document` })
      setText(undefined)
      detail.reload()
      props.onDeployed(answer.revision)
    } catch (failure) {
      setOutcome({ kind: "error", text: failureText(failure) })
    } finally {
      setBusy(false)
    }
  }

  const onKeyDown = (event: KeyboardEvent) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault()
      void validate()
    } else if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault()
      void save()
    }
  }

  return (
    <div class="panel correlator-editor">
      <h2>
        {data.name} <span class="muted">revision {data.revision}</span>
      </h2>
      <p class="muted correlator-meta">
        {data.tenantName} · <code>{data.id}</code> · {data.partitions} {data.partitions === 1 ? "partition" : "partitions"}
      </p>
      <DataTable<CorrelatorRule>
        label="Rules"
        rows={data.rules}
        rowKey={(rule) => rule.id}
        selected={selectedRule}
        onSelect={(rule) => setSelectedRule(rule.id)}
        onOpen={(rule) => {
          // Enter on a rule puts the cursor on its definition in the document.
          const at = document.search(new RegExp(`id:\\s*["']?${rule.id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']?\\s*$`, "m"))
          const area = globalThis.document.getElementById("correlator-document") as HTMLTextAreaElement | null
          if (area !== null && at >= 0) {
            area.focus()
            area.setSelectionRange(at, at)
          }
        }}
        empty="No rules."
        columns={[
          { title: "Tenant", cell: () => data.tenantName, nowrap: true },
          { title: "ID", cell: (rule) => <code>{rule.id}</code>, nowrap: true },
          { title: "Name", cell: (rule) => rule.name },
          { title: "Kind", cell: (rule) => rule.kind, nowrap: true }
        ]}
      />
      <label class="correlator-document-label">
        Document (YAML){edited ? " — edited" : ""}
        <textarea
          id="correlator-document"
          spellcheck={false}
          rows={22}
          value={document}
          onInput={(event) => setText(event.currentTarget.value)}
          onKeyDown={onKeyDown}
        />
      </label>
      <div class="toolbar">
        <button type="button" disabled={busy} onClick={() => void validate()} title="Ctrl+Enter">
          Validate
        </button>
        <button type="button" class="primary" disabled={busy} onClick={() => void save()} title="Ctrl+S">
          Save and reload
        </button>
        <button
          type="button"
          disabled={busy || !edited}
          onClick={() => {
            setText(data.document)
            setOutcome(undefined)
          }}
        >
          Revert
        </button>
      </div>
      {outcome?.kind === "error" ? (
        <pre role="alert" class="correlator-error">
          {outcome.text}
        </pre>
      ) : outcome?.kind === "ok" ? (
        <p role="status" class="correlator-ok">
          {outcome.text}
        </p>
      ) : null}
    </div>
  )
}
