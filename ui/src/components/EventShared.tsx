// What the Events page and the alert detail share about events: the search request (a full
// SELECT or just a WHERE condition), the periods, the names of event types, links to a search.
import { api } from "../api.ts"
import { href } from "../router.ts"

/** An event (or a row of groups) as POST events answers: field name -> value, empty fields left out. */
export type EventRow = Readonly<Record<string, unknown>>

/** KUMA's event types (SPEC §2). */
export const EventTypes: Readonly<Record<number, string>> = { 1: "base", 2: "correlation", 3: "aggregated", 4: "audit", 5: "service" }

export const typeName = (value: unknown): string => (typeof value === "number" ? (EventTypes[value] ?? String(value)) : value === undefined ? "" : String(value))

/** The condition-only form's default row limit. */
export const ConditionLimit = 500

/** A full `SELECT ...` as written; a bare condition becomes the newest 500 matching events. */
export const sqlOf = (text: string): string => {
  const trimmed = text.trim()
  if (/^select\b/i.test(trimmed)) return trimmed
  return trimmed === ""
    ? `SELECT * FROM events ORDER BY Timestamp DESC LIMIT ${ConditionLimit}`
    : `SELECT * FROM events WHERE ${trimmed} ORDER BY Timestamp DESC LIMIT ${ConditionLimit}`
}

/** The period choices of the search bar; "custom" takes From and To. */
export const Periods = [
  { id: "15m", label: "Last 15 minutes", millis: 15 * 60_000 },
  { id: "1h", label: "Last hour", millis: 60 * 60_000 },
  { id: "24h", label: "Last 24 hours", millis: 24 * 60 * 60_000 },
  { id: "7d", label: "Last 7 days", millis: 7 * 24 * 60 * 60_000 },
  { id: "custom", label: "Custom…", millis: 0 }
] as const

export type PeriodId = (typeof Periods)[number]["id"]

export const isPeriodId = (value: string | null): value is PeriodId => Periods.some((period) => period.id === value)

/** Runs a search; rejects with the API's words. */
export const searchEvents = (sql: string, from: string, to: string): Promise<ReadonlyArray<EventRow>> =>
  api<ReadonlyArray<EventRow>>("POST", "events", { body: { period: { from, to }, sql } })

/** A string literal of the filter language. */
export const quoted = (value: string): string => `'${value.replace(/'/g, "''")}'`

/** The Events page searching for one event by its ID within a period around `around`. */
export const eventHref = (id: string, around: string | number | undefined): string => {
  const at = around === undefined ? Date.now() : new Date(around).getTime()
  const day = 24 * 60 * 60_000
  return href("events", [], {
    q: `ID = ${quoted(id)}`,
    period: "custom",
    from: new Date(at - day).toISOString(),
    to: new Date(Math.max(at + day, Date.now())).toISOString()
  })
}

/** A field's value as text in tables and the detail pane. */
export const cellText = (value: unknown): string => {
  if (value === undefined || value === null) return ""
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  if (Array.isArray(value)) return value.map(cellText).join(", ")
  return JSON.stringify(value)
}

/** An address with its port, when there is one. */
export const addressOf = (row: EventRow, side: "Source" | "Destination"): string => {
  const address = cellText(row[`${side}Address`]) || cellText(row[`${side}HostName`])
  const port = row[`${side}Port`]
  return address === "" ? "" : typeof port === "number" && port > 0 ? `${address}:${port}` : address
}
