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
