// How values read in the console: local times with seconds, KUMA's priority bands.

/** An RFC 3339 time or epoch milliseconds as local "YYYY-MM-DD HH:MM:SS". */
export const time = (value: string | number | undefined | null): string => {
  if (value === undefined || value === null || value === "") return ""
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return String(value)
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/** KUMA's bands: 1-4 low, 5-8 medium, 9-12 high, 13-16 critical. */
export const priorityBand = (priority: number): "low" | "medium" | "high" | "critical" =>
  priority >= 13 ? "critical" : priority >= 9 ? "high" : priority >= 5 ? "medium" : "low"

/** A number with thousands separators and at most one decimal. */
export const quantity = (value: number | null | undefined): string =>
  value === null || value === undefined ? "–" : value.toLocaleString("en-US", { maximumFractionDigits: 1 })

/** An RFC 3339 time or epoch milliseconds as the value of an `<input type="datetime-local">` (local, to the minute). */
export const localInput = (value: string | number | undefined): string => {
  if (value === undefined || value === "") return ""
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return ""
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** The value of an `<input type="datetime-local">` as RFC 3339 UTC, or undefined when empty or invalid. */
export const fromLocalInput = (value: string): string | undefined => {
  if (value === "") return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/** A compact time for dense tables: "HH:MM:SS" today, "MM-DD HH:MM" this year, else the date. */
export const shortTime = (value: string | number | undefined | null): string => {
  const full = time(value)
  if (full === "" || value === undefined || value === null) return full
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return full
  const now = new Date()
  if (date.toDateString() === now.toDateString()) return full.slice(11)
  return date.getFullYear() === now.getFullYear() ? full.slice(5, 16) : full.slice(0, 10)
}
