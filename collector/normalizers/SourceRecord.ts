// A parsed record before mapping: the fields a parser found, by their names in the input. JSON
// gives nested objects, read by dot path; text formats give a FlatRecord of text values, kept in
// arrays a parser reuses record after record (no object per record, no property-store churn on
// input-chosen keys). Also the default mappings of flat records: fields named like normalized
// fields or listed in a format's table go to those fields, everything else to Extra.
import type { EventFieldName } from "../../model/Event.ts"
import { Coercion, FieldPlans, type EventDraft, type FieldPlan } from "./EventDraft.ts"
import { MaxFieldsPerRecord, Refusal } from "./Refusal.ts"

/** The end of `text` without trailing CR and LF (a framer may leave a CR of CRLF). */
export const contentEnd = (text: string): number => {
  let end = text.length
  while (end > 0) {
    const code = text.charCodeAt(end - 1)
    if (code !== 10 && code !== 13) break
    end--
  }
  return end
}

/** A parsed JSON record. */
export type JsonRecord = Record<string, unknown>

/**
 * The fields of a text record in input order; a name may repeat (the last value wins). One
 * instance serves one compiled parser, which clears it per record.
 */
export class FlatRecord {
  readonly keys: Array<string> = []
  readonly values: Array<string> = []
  length = 0

  clear(): void {
    this.length = 0
  }

  /** Adds a field; past the record limit the record is refused. */
  add(key: string, value: string): void {
    const at = this.length
    if (at >= MaxFieldsPerRecord) throw new Refusal(`more than ${MaxFieldsPerRecord} fields in one record`)
    this.keys[at] = key
    this.values[at] = value
    this.length = at + 1
  }

  /** The last value of `key`, or undefined. */
  get(key: string): string | undefined {
    for (let i = this.length - 1; i >= 0; i--) if (this.keys[i] === key) return this.values[i]
    return undefined
  }
}

/** A parsed record: a JSON object (json) or a FlatRecord (every text format). */
export type SourceRecord = JsonRecord | FlatRecord

/** Parses one record's text; throws Refusal when it cannot. */
export type RecordParser = (text: string, receivedAt: number) => SourceRecord

/** Maps a parsed record into the draft, skipping the source fields in `skip` (read by an explicit mapping). */
export type DefaultMapper = (record: SourceRecord, draft: EventDraft, skip: ReadonlySet<string> | undefined) => void

/** How a kind's records are read and mapped when no explicit mapping says otherwise. */
export interface RecordLayout {
  /** Records are JSON objects and field names dot paths into them; else FlatRecords. */
  readonly nested: boolean
  /** The kind's default mapping (unmapped: "default"). */
  readonly mapDefault: DefaultMapper
  /** Every field into Extra (unmapped: "extra"). */
  readonly mapExtra: DefaultMapper
}

const hasOwn = Object.prototype.hasOwnProperty

/** Reads a field of a parsed record; undefined when absent. */
export type RecordReader = (record: SourceRecord) => unknown

/**
 * A reader for `source`. A JSON record yields the key as written when present, else the value at
 * the dot path through own properties (never an inherited member such as `constructor`).
 */
export const readerOf = (source: string, nested: boolean): RecordReader => {
  if (!nested) return (record) => (record as FlatRecord).get(source)
  const steps = source.split(".")
  return (record) => {
    if (hasOwn.call(record, source)) return (record as JsonRecord)[source]
    let value: unknown = record
    for (let i = 0; i < steps.length; i++) {
      if (value === null || typeof value !== "object" || !hasOwn.call(value, steps[i]!)) return undefined
      value = (value as JsonRecord)[steps[i]!]
    }
    return value
  }
}

/** Where a format's table sends a field by default: a normalized field, or nowhere (null). */
export interface TableTarget {
  readonly plan: FieldPlan
  /** A value the field cannot take goes to Extra under its own name instead of refusing the record. */
  readonly orExtra: boolean
}

/** Builds a format's default table from field names (null: drop the field). */
export const defaultTable = (entries: ReadonlyArray<readonly [string, EventFieldName | null, ("orExtra" | undefined)?]>): ReadonlyMap<string, TableTarget | null> =>
  new Map(
    entries.map(([key, name, mode]) => {
      if (name === null) return [key, null] as const
      const plan = FieldPlans.get(name)
      if (plan === undefined || plan.stamped) throw new Error(`default table: ${name} is not a writable field`)
      return [key, { plan, orExtra: mode === "orExtra" }] as const
    })
  )

/**
 * The default mapping of a flat record: a field in `table` goes where the table says; a field
 * named like a normalized field goes there (collector-stamped names are ignored); the rest go to
 * Extra. Empty values carry nothing and are skipped.
 */
export const flatDefaultMapper = (table: ReadonlyMap<string, TableTarget | null> | undefined): DefaultMapper => (source, draft, skip) => {
  const record = source as FlatRecord
  const keys = record.keys
  const values = record.values
  for (let i = 0; i < record.length; i++) {
    const key = keys[i]!
    const value = values[i]!
    if (value === "" || (skip !== undefined && skip.has(key))) continue
    if (table !== undefined) {
      const target = table.get(key)
      if (target === null) continue
      if (target !== undefined) {
        if (!target.orExtra) draft.setField(target.plan, value, key)
        else if (!draft.trySetField(target.plan, value)) draft.setExtra(key, value)
        continue
      }
    }
    const plan = FieldPlans.get(key)
    if (plan === undefined || plan.coercion === Coercion.Map) draft.setExtra(key, value)
    else if (!plan.stamped) draft.setField(plan, value, key)
  }
}

/** Every non-empty field of a flat record into Extra under its own name. */
export const flatExtraMapper: DefaultMapper = (source, draft, skip) => {
  const record = source as FlatRecord
  for (let i = 0; i < record.length; i++) {
    const key = record.keys[i]!
    const value = record.values[i]!
    if (value !== "" && (skip === undefined || !skip.has(key))) draft.setExtra(key, value)
  }
}

/** The layout of flat text formats (kv, csv, regexp) with the generic default mapping. */
export const flatLayout: RecordLayout = { nested: false, mapDefault: flatDefaultMapper(undefined), mapExtra: flatExtraMapper }
