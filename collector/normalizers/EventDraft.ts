// The event under construction for one record, shared by every normalizer kind: the collector's
// stamp (ID, TenantID, ServiceID, ServiceName, Type, ReceiptTime, Raw, default Timestamp) comes
// first and from the context only, fields are coerced to their types, and Extra is bounded.
import { EventFieldKinds, type EventFieldName, type NormalizedEvent } from "../../model/Event.ts"
import { MaxRawEventBytes } from "../../model/Collector.ts"
import { MaxExtraKeyLength, StampedFields, TimeFields } from "../../model/Normalizer.ts"
import { parseEventTime } from "./EventTime.ts"
import type { NormalizeContext, NormalizeResult } from "./Normalizer.ts"
import { MaxFieldsPerRecord, MaxNesting, Refusal } from "./Refusal.ts"

/** How a value is read into a field. */
export const Coercion = { Text: 0, Integer: 1, Number: 2, Strings: 3, Map: 4, Time: 5 } as const
export type Coercion = (typeof Coercion)[keyof typeof Coercion]

type MutableEvent = Record<string, unknown>

/** A field of the model as normalizers write it. */
export interface FieldPlan {
  readonly name: EventFieldName
  readonly coercion: Coercion
  /** Set by the collector only: input with this name is ignored. */
  readonly stamped: boolean
  /** Stores a value into the field of an event. */
  readonly write: (event: MutableEvent, value: unknown) => void
}

/**
 * A writer that stores with a named property store (`event.SourcePort = value`). V8 keeps an
 * object built by named stores in fast mode up to 128 properties, but turns one into a dictionary
 * after 12 properties added by keyed stores (`event[name] = value`), which makes the store here
 * and every later read of the event (filters, serialization) several times slower. Field names
 * are the model's own identifiers, never input.
 */
const namedWriter = (name: EventFieldName): FieldPlan["write"] => {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new Error(`not an identifier: ${name}`)
  return new Function("event", "value", `event.${name} = value`) as FieldPlan["write"]
}

const coercionOf = (name: EventFieldName): Coercion => {
  if (TimeFields.has(name)) return Coercion.Time
  switch (EventFieldKinds[name]) {
    case "string":
      return Coercion.Text
    case "integer":
      return Coercion.Integer
    case "number":
      return Coercion.Number
    case "strings":
      return Coercion.Strings
    case "map":
      return Coercion.Map
  }
}

/** Every field by name: one map lookup tells a field name from any other key. */
export const FieldPlans: ReadonlyMap<string, FieldPlan> = new Map(
  (Object.keys(EventFieldKinds) as Array<EventFieldName>).map((name) => [
    name,
    { name, coercion: coercionOf(name), stamped: StampedFields.has(name), write: namedWriter(name) }
  ])
)

const KindNames: { readonly [C in Coercion]: string } = {
  [Coercion.Text]: "string",
  [Coercion.Integer]: "integer",
  [Coercion.Number]: "number",
  [Coercion.Strings]: "strings",
  [Coercion.Map]: "map",
  [Coercion.Time]: "a timestamp"
}

/** At most 64 characters of a value, for a refusal's reason. */
export const describeValue = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value.length > 64 ? value.slice(0, 64) : value).slice(0, 66)
  const text = typeof value === "object" && value !== null && measureDepth(value, 0) ? JSON.stringify(value) : String(value)
  return (text ?? String(value)).slice(0, 64)
}

const readNumber = (value: unknown): number =>
  typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN

/** The value as `coercion` needs it, or undefined when it cannot be read so. */
export const coerce = (coercion: Coercion, value: unknown, receivedAt: number): unknown => {
  switch (coercion) {
    case Coercion.Text:
      return typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined
    case Coercion.Integer: {
      const number = readNumber(value)
      return Number.isSafeInteger(number) ? number : undefined
    }
    case Coercion.Number: {
      const number = readNumber(value)
      return Number.isFinite(number) ? number : undefined
    }
    case Coercion.Time:
      return parseEventTime(value, receivedAt)
    case Coercion.Strings:
      return Array.isArray(value) ? value.map(String) : undefined
    case Coercion.Map:
      return undefined
  }
}

/** True when `value` nests no deeper than the limit (arrays and objects alike). */
const measureDepth = (value: object, depth: number): boolean => {
  if (depth > MaxNesting) return false
  for (const key in value) {
    const inner: unknown = (value as Record<string, unknown>)[key]
    if (inner !== null && typeof inner === "object" && !measureDepth(inner, depth + 1)) return false
  }
  return true
}

/** The Extra text of a value: text as is, numbers and booleans printed, arrays and objects as JSON. */
export const extraText = (value: unknown, depth: number): string | undefined => {
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  if (value === null || typeof value !== "object") return undefined
  if (!measureDepth(value, depth)) throw new Refusal(`objects nested deeper than ${MaxNesting} levels`)
  return JSON.stringify(value)
}

/** Why a raw record is refused for its size, or undefined. */
export const oversize = (raw: string): string | undefined => {
  // UTF-8 takes at least 1 and at most 3 bytes per UTF-16 unit, so most records need no byte count.
  if (raw.length * 3 <= MaxRawEventBytes) return undefined
  if (raw.length > MaxRawEventBytes) return `record of at least ${raw.length} bytes exceeds the 4 MB limit`
  const bytes = Buffer.byteLength(raw)
  return bytes > MaxRawEventBytes ? `record of ${bytes} bytes exceeds the 4 MB limit` : undefined
}

/** Normalizes one record's text into the draft; throws Refusal for a record it cannot take. */
export type SpecRunner = (text: string, draft: EventDraft) => void

const Released: MutableEvent = {}

/**
 * Extra keys may hold at most this many characters in total, or twice the record's length if more:
 * dot paths and structured-data names repeat their parents' names, and without a budget a small
 * record could make a large event.
 */
export const MinExtraKeyBudget = 65_536

/**
 * The event of the record being normalized. One draft serves one compiled normalizer, one record
 * at a time (normalizing is synchronous); the event and Extra objects are fresh per record.
 */
export class EventDraft {
  event: MutableEvent = Released
  extra: Record<string, string> | undefined = undefined
  extraCount = 0
  /** Characters of Extra keys so far, and the most this record may have. */
  extraKeyChars = 0
  extraKeyBudget = 0
  receivedAt = 0

  /** Runs `runner` on `raw`: the result is the stamped event, or the refusal's reason. */
  run(raw: string, context: NormalizeContext, runner: SpecRunner): NormalizeResult {
    const tooLarge = oversize(raw)
    if (tooLarge !== undefined) return { ok: false, reason: tooLarge }
    this.begin(raw, context)
    try {
      runner(raw, this)
    } catch (error) {
      this.release()
      if (error instanceof Refusal) return { ok: false, reason: error.reason }
      throw error
    }
    return { ok: true, event: this.finish(context) }
  }

  /** Starts a record; the stamped fields come first so every event shares one shape prefix. */
  begin(raw: string, context: NormalizeContext): void {
    this.event = {
      ID: "",
      TenantID: context.tenantId,
      ServiceID: context.collectorId,
      ServiceName: context.collectorName,
      Type: 1,
      ReceiptTime: context.receivedAt,
      Raw: raw,
      Timestamp: context.receivedAt
    }
    this.extra = undefined
    this.extraCount = 0
    this.extraKeyChars = 0
    this.extraKeyBudget = Math.max(MinExtraKeyBudget, 2 * raw.length)
    this.receivedAt = context.receivedAt
  }

  /** The finished event; the draft lets go of it. */
  finish(context: NormalizeContext): NormalizedEvent {
    const event = this.event
    if (this.extra !== undefined) event.Extra = this.extra
    event.ID = context.newId()
    this.release()
    return event as unknown as NormalizedEvent
  }

  /** Forgets the record, so a refused 4 MB record is not kept alive until the next one. */
  release(): void {
    this.event = Released
    this.extra = undefined
  }

  /**
   * Writes `value` into a field, read as the field's type. Null, undefined and, for fields that are
   * not text, "" are skipped; a value that cannot be read so refuses the record, naming the field
   * (and `source` when the value came from a differently named record field).
   */
  setField(plan: FieldPlan, value: unknown, source: string | undefined): void {
    if (value === null || value === undefined) return
    const coerced = coerce(plan.coercion, value, this.receivedAt)
    if (coerced === undefined) {
      if (value === "") return
      const from = source === undefined || source === plan.name ? "" : ` (from ${source.length > 64 ? `${source.slice(0, 64)}...` : source})`
      throw new Refusal(`field ${plan.name}${from}: cannot read ${describeValue(value)} as ${KindNames[plan.coercion]}`)
    }
    plan.write(this.event, coerced)
  }

  /** Like setField, but false instead of a refusal when the value cannot be read as the field's type. */
  trySetField(plan: FieldPlan, value: unknown): boolean {
    const coerced = coerce(plan.coercion, value, this.receivedAt)
    if (coerced === undefined) return false
    plan.write(this.event, coerced)
    return true
  }

  /** Writes an already typed value. */
  setTyped(plan: FieldPlan, value: unknown): void {
    plan.write(this.event, value)
  }

  /**
   * Writes one Extra entry. More than 1,024 entries, a key over 1,024 characters or keys over the
   * record's key budget refuse the record.
   */
  setExtra(key: string, value: string): void {
    if (key.length > MaxExtraKeyLength) throw new Refusal(`an Extra key is longer than ${MaxExtraKeyLength} characters: ${describeValue(key)}`)
    let extra = this.extra
    if (extra === undefined) {
      extra = {}
      this.extra = extra
    }
    if (typeof extra[key] !== "string") {
      if (++this.extraCount > MaxFieldsPerRecord) throw new Refusal(`more than ${MaxFieldsPerRecord} Extra entries in one record`)
      this.extraKeyChars += key.length
      if (this.extraKeyChars > this.extraKeyBudget) {
        throw new Refusal(`Extra keys of more than ${this.extraKeyBudget} characters in total (nested names repeat their parents' names)`)
      }
    }
    // A plain assignment to __proto__ would change the object's prototype instead.
    if (key === "__proto__") Object.defineProperty(extra, key, { value, enumerable: true, writable: true, configurable: true })
    else extra[key] = value
  }
}
