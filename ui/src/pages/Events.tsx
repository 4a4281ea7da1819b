// The Events page (SPEC §7 console): the filter language or a full SELECT over a period, the
// answer in a table like an operating system's event log, and every field of the selected event
// beside it. A query in the address (#/events?q=...&period=...) runs when the page opens, so an
// alert's event links straight here.
import { useEffect, useMemo, useRef, useState } from "preact/hooks"
import { failureText } from "../api.ts"
import { DataTable, type Column } from "../components/DataTable.tsx"
import { EventDetail } from "../components/EventDetail.tsx"
import { addressOf, cellText, isPeriodId, Periods, searchEvents, sqlOf, typeName, type EventRow, type PeriodId } from "../components/EventShared.tsx"
import { fromLocalInput, localInput, priorityBand, quantity, time } from "../format.ts"
import { useRoute } from "../router.ts"
import { tenantName, useSession, type Session } from "../session.ts"
import "./Events.css"

interface SearchRequest {
  readonly text: string
  readonly sql: string
  readonly from: string
  readonly to: string
}

type Outcome =
  | { readonly state: "idle" }
  | { readonly state: "running"; readonly request: SearchRequest }
  | { readonly state: "done"; readonly request: SearchRequest; readonly rows: ReadonlyArray<EventRow>; readonly millis: number }
  | { readonly state: "failed"; readonly request: SearchRequest; readonly error: string }

const eventColumns = (session: Session): ReadonlyArray<Column<EventRow>> => [
  { title: "Tenant", cell: (row) => tenantName(session, cellText(row["TenantID"])), nowrap: true },
  { title: "Time", cell: (row) => time(row["Timestamp"] as string | number | undefined), nowrap: true },
  { title: "Type", cell: (row) => typeName(row["Type"]), nowrap: true },
  {
    title: "Priority / Severity",
    nowrap: true,
    cell: (row) => {
      const priority = row["Priority"]
      const severity = cellText(row["Severity"])
      return (
        <>
          {typeof priority === "number" ? <span class={`badge priority-${priorityBand(priority)}`}>{priority}</span> : null}
          {severity !== "" ? <span class="event-severity">{severity}</span> : null}
        </>
      )
    }
  },
  { title: "Name", cell: (row) => <span title={cellText(row["Name"])}>{cellText(row["Name"])}</span> },
  { title: "Source address", cell: (row) => addressOf(row, "Source"), nowrap: true },
  { title: "Destination address", cell: (row) => addressOf(row, "Destination"), nowrap: true },
  { title: "Device product", cell: (row) => cellText(row["DeviceProduct"]), nowrap: true },
  { title: "Service", cell: (row) => cellText(row["ServiceName"]) || cellText(row["ServiceID"]), nowrap: true }
]

/** Columns of an answer that is not whole events (aggregates, chosen fields), in the order the API gives them. */
const genericColumns = (rows: ReadonlyArray<EventRow>, session: Session): ReadonlyArray<Column<EventRow>> => {
  const names: Array<string> = []
  for (const row of rows.slice(0, 50)) for (const name of Object.keys(row)) if (!names.includes(name)) names.push(name)
  return names.map((name) => ({
    title: name,
    nowrap: true,
    cell: (row: EventRow) =>
      name === "TenantID" && typeof row[name] === "string" ? tenantName(session, row[name] as string)
      : typeof row[name] === "number" && !/Time|Timestamp/.test(name) ? quantity(row[name] as number)
      : cellText(row[name])
  }))
}

/** The period a choice means now; custom takes the From and To inputs. */
const periodOf = (period: PeriodId, from: string, to: string): { from: string; to: string } | string => {
  if (period === "custom") {
    const start = fromLocalInput(from)
    const end = fromLocalInput(to)
    if (start === undefined || end === undefined) return "Give both From and To for a custom period."
    return { from: start, to: end }
  }
  const millis = Periods.find((entry) => entry.id === period)!.millis
  const now = Date.now()
  return { from: new Date(now - millis).toISOString(), to: new Date(now).toISOString() }
}

export function EventsPage() {
  const session = useSession()
  const route = useRoute()
  const [text, setText] = useState("")
  const [period, setPeriod] = useState<PeriodId>("1h")
  const [from, setFrom] = useState("")
  const [to, setTo] = useState("")
  const [outcome, setOutcome] = useState<Outcome>({ state: "idle" })
  const [selected, setSelected] = useState<string | undefined>(undefined)
  const generation = useRef(0)

  const run = (request: SearchRequest) => {
    const mine = ++generation.current
    setOutcome({ state: "running", request })
    const started = performance.now()
    searchEvents(request.sql, request.from, request.to).then(
      (rows) => {
        if (mine !== generation.current) return
        setOutcome({ state: "done", request, rows, millis: performance.now() - started })
        setSelected(undefined)
      },
      (failure: unknown) => {
        if (mine !== generation.current) return
        setOutcome({ state: "failed", request, error: failureText(failure) })
      }
    )
  }

  const search = (query: string, choice: PeriodId, fromInput: string, toInput: string) => {
    const range = periodOf(choice, fromInput, toInput)
    const request = { text: query, sql: sqlOf(query), from: typeof range === "string" ? "" : range.from, to: typeof range === "string" ? "" : range.to }
    if (typeof range === "string") {
      setOutcome({ state: "failed", request, error: range })
      return
    }
    // Keep the search in the address (without a hashchange), so a reload or a shared link repeats it.
    const params = new URLSearchParams({ q: query, period: choice })
    if (choice === "custom") {
      params.set("from", range.from)
      params.set("to", range.to)
    }
    history.replaceState(null, "", `#/events?${params.toString()}`)
    run(request)
  }

  // A query in the address (a link from an alert, a reload) fills the bar and runs.
  const linked = route.query.get("q")
  const linkedPeriod = route.query.get("period")
  const linkedFrom = route.query.get("from")
  const linkedTo = route.query.get("to")
  useEffect(() => {
    // Without one, the page opens on the newest events of the last hour, like an event log.
    if (linked === null) {
      if (generation.current === 0) search("", "1h", "", "")
      return
    }
    const choice: PeriodId = isPeriodId(linkedPeriod) ? linkedPeriod : "1h"
    const fromInput = localInput(linkedFrom ?? undefined)
    const toInput = localInput(linkedTo ?? undefined)
    setText(linked)
    setPeriod(choice)
    setFrom(fromInput)
    setTo(toInput)
    // A linked custom period keeps its exact bounds (not rounded to the minute as the inputs are).
    if (choice === "custom" && linkedFrom !== null && linkedTo !== null) {
      run({ text: linked, sql: sqlOf(linked), from: linkedFrom, to: linkedTo })
    } else search(linked, choice, fromInput, toInput)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [linked, linkedPeriod, linkedFrom, linkedTo])

  const rows = outcome.state === "done" ? outcome.rows : []
  const eventsShape = rows.length > 0 && rows.every((row) => typeof row["ID"] === "string" && row["Timestamp"] !== undefined)
  const columns = useMemo(() => (eventsShape ? eventColumns(session) : genericColumns(rows, session)), [eventsShape, rows, session])
  const positions = useMemo(() => new Map(rows.map((row, index) => [row, index])), [rows])
  const keyOf = (row: EventRow) => (eventsShape ? (row["ID"] as string) : String(positions.get(row) ?? -1))
  const selectedRow = selected === undefined ? undefined : rows.find((row) => keyOf(row) === selected)

  const focusTable = () => document.querySelector<HTMLElement>('table[aria-label="Events"]')?.focus()
  const openDetail = () => document.querySelector<HTMLElement>(".event-detail")?.focus()

  const onSubmit = (event: Event) => {
    event.preventDefault()
    search(text, period, from, to)
  }

  return (
    <section class="events-page">
      <h1>Events</h1>
      <form class="toolbar events-search" onSubmit={onSubmit}>
        <label class="events-query">
          Query (filter condition or SELECT)
          <textarea
            rows={text.includes("\n") || text.length > 80 ? 3 : 1}
            spellcheck={false}
            placeholder="DeviceEventClassID = '4625' AND SourceAddress = '10.0.0.5'"
            value={text}
            onInput={(event) => setText(event.currentTarget.value)}
            onKeyDown={(event) => {
              // Enter searches; Shift+Enter starts a new line for a long SELECT.
              if (event.key === "Enter" && !event.shiftKey) {
                event.preventDefault()
                search(text, period, from, to)
              }
            }}
          />
        </label>
        <label>
          Period
          <select value={period} onChange={(event) => setPeriod(event.currentTarget.value as PeriodId)}>
            {Periods.map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.label}
              </option>
            ))}
          </select>
        </label>
        {period === "custom" ? (
          <>
            <label>
              From
              <input type="datetime-local" value={from} onInput={(event) => setFrom(event.currentTarget.value)} />
            </label>
            <label>
              To
              <input type="datetime-local" value={to} onInput={(event) => setTo(event.currentTarget.value)} />
            </label>
          </>
        ) : null}
        <button type="submit" class="primary" disabled={outcome.state === "running"}>
          Search
        </button>
      </form>
      {outcome.state === "failed" ? (
        <div class="events-failure">
          <p role="alert">{outcome.error}</p>
          {outcome.request.sql !== "" ? <p class="muted events-sql">Query run: <code>{outcome.request.sql}</code></p> : null}
        </div>
      ) : null}
      {outcome.state === "running" ? <p class="muted events-status">Searching…</p> : null}
      {outcome.state === "done" ? (
        <p class="muted events-status" aria-live="polite">
          {quantity(rows.length)} {eventsShape || rows.length === 0 ? (rows.length === 1 ? "event" : "events") : rows.length === 1 ? "row" : "rows"} from {time(outcome.request.from)} to {time(outcome.request.to)} in {quantity(outcome.millis / 1000)} s
          <span class="events-sql" title={outcome.request.sql}> · {outcome.request.sql}</span>
        </p>
      ) : null}
      {outcome.state === "idle" ? <p class="muted events-status">Write a condition such as <code>Type = 2</code> or a full <code>SELECT … FROM events</code>, pick a period, then Search.</p> : null}
      <div class={selectedRow !== undefined ? "split events-split" : undefined}>
        <DataTable
          label="Events"
          columns={columns}
          rows={rows}
          rowKey={keyOf}
          selected={selected}
          onSelect={(row) => setSelected(keyOf(row))}
          onOpen={(row) => {
            setSelected(keyOf(row))
            requestAnimationFrame(openDetail)
          }}
          empty={outcome.state === "done" ? "No events match in this period." : outcome.state === "running" ? "Searching…" : outcome.state === "failed" ? "The search failed; see the message above." : "No search yet."}
        />
        {selectedRow !== undefined ? <EventDetail row={selectedRow} onEscape={focusTable} /> : null}
      </div>
    </section>
  )
}
