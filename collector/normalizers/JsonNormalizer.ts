// The json normalizer: one JSON object per record. Keys named like normalized fields map onto
// them with type coercion; other keys, nested objects flattened by dot path, land in Extra.
// The collector, never the input, decides TenantID, ID and the service fields.
import { EventFieldKinds, isEventFieldName, type EventFieldName, type NormalizedEvent } from "../../model/Event.ts"
import type { CollectorId, TenantId } from "../../model/Ids.ts"

/** What the collector stamps on every event it normalizes. */
export interface NormalizeContext {
  readonly tenantId: TenantId
  readonly collectorId: CollectorId
  readonly collectorName: string
  readonly receivedAt: number
  readonly newId: () => string
}

export type NormalizeResult = { readonly ok: true; readonly event: NormalizedEvent } | { readonly ok: false; readonly reason: string }

/** Fields a source may not set: the collector owns them. */
const Stamped = new Set<EventFieldName>(["ID", "TenantID", "ServiceID", "ServiceName", "ReceiptTime", "Raw", "Type"])

/** Times before 1970 or after year 9999 are not event times. */
const MaxTimestamp = 253_402_300_799_999
/** Objects nested deeper than this are refused: flattening them is work an attacker chooses. */
const MaxNesting = 32
/** An ISO 8601 date-time without an offset: read as UTC (SPEC §2), never as the host's zone. */
const IsoWithoutOffset = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/

const inTimeRange = (millis: number): number | undefined => (Number.isSafeInteger(millis) && millis >= 0 && millis <= MaxTimestamp ? millis : undefined)

const parseTime = (value: unknown): number | undefined => {
  // Epoch seconds and epoch milliseconds are told apart by size.
  if (typeof value === "number" && Number.isFinite(value)) return inTimeRange(Math.trunc(value < 1e11 ? value * 1000 : value))
  if (typeof value === "string" && value.length > 0) {
    const millis = Date.parse(IsoWithoutOffset.test(value) ? `${value.replace(" ", "T")}Z` : value)
    return Number.isNaN(millis) ? undefined : inTimeRange(millis)
  }
  return undefined
}

const coerce = (field: EventFieldName, value: unknown): unknown => {
  const kind = EventFieldKinds[field]
  if (field === "Timestamp" || field === "StartTime" || field === "EndTime") return parseTime(value)
  switch (kind) {
    case "string":
      return typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined
    case "integer": {
      const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN
      return Number.isSafeInteger(number) ? number : undefined
    }
    case "number": {
      const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN
      return Number.isFinite(number) ? number : undefined
    }
    case "strings":
      return Array.isArray(value) ? value.map(String) : undefined
    case "map":
      return undefined
  }
}

class TooDeep extends Error {}

const flattenInto = (extra: Record<string, string>, prefix: string, value: unknown, depth: number): void => {
  if (value === null || value === undefined) return
  if (depth > MaxNesting) throw new TooDeep()
  if (typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flattenInto(extra, `${prefix}.${key}`, inner, depth + 1)
    return
  }
  extra[prefix] = typeof value === "string" ? value : stringifyBounded(value, depth)
}

/** Arrays go to Extra as JSON; their nesting counts towards the same limit. */
const stringifyBounded = (value: unknown, depth: number): string => {
  const measure = (inner: unknown, level: number): void => {
    if (level > MaxNesting) throw new TooDeep()
    if (inner !== null && typeof inner === "object") for (const item of Object.values(inner)) measure(item, level + 1)
  }
  measure(value, depth)
  return JSON.stringify(value)
}

/** Normalizes one JSON record; a record that is not a JSON object is an error, never a throw. */
export const normalizeJson = (raw: string, context: NormalizeContext): NormalizeResult => {
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (cause) {
    return { ok: false, reason: `not JSON: ${(cause as Error).message}` }
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { ok: false, reason: "not a JSON object" }
  try {
    return mapFields(parsed as Record<string, unknown>, raw, context)
  } catch (error) {
    if (error instanceof TooDeep) return { ok: false, reason: `objects nested deeper than ${MaxNesting} levels` }
    throw error
  }
}

const mapFields = (parsed: Record<string, unknown>, raw: string, context: NormalizeContext): NormalizeResult => {
  const event: Record<string, unknown> = {}
  const extra: Record<string, string> = {}
  for (const [key, value] of Object.entries(parsed)) {
    if (isEventFieldName(key)) {
      if (Stamped.has(key)) continue
      if (key === "Extra" && typeof value === "object" && value !== null) {
        for (const [extraKey, extraValue] of Object.entries(value)) flattenInto(extra, extraKey, extraValue, 1)
        continue
      }
      const coerced = coerce(key, value)
      if (coerced === undefined) {
        if (value !== null && value !== undefined && value !== "") return { ok: false, reason: `field ${key}: cannot read ${JSON.stringify(value).slice(0, 64)} as ${EventFieldKinds[key]}` }
        continue
      }
      event[key] = coerced
    } else {
      flattenInto(extra, key, value, 0)
    }
  }
  if (Object.keys(extra).length > 0) event.Extra = extra
  event.ID = context.newId()
  event.TenantID = context.tenantId
  event.ServiceID = context.collectorId
  event.ServiceName = context.collectorName
  event.Type = 1
  event.ReceiptTime = context.receivedAt
  event.Raw = raw
  if (event.Timestamp === undefined) event.Timestamp = context.receivedAt
  return { ok: true, event: event as unknown as NormalizedEvent }
}
