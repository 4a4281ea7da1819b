// Explicit field mappings compiled once: each entry knows its reader, its conversions and its
// target, and constants are converted and typed at compile time; per record the mapping is a
// loop over plain objects. Fields no entry reads go the way `unmapped` says.
import { resolveTarget, type Conversion, type FieldMapping, type NormalizerSpec } from "../../model/Normalizer.ts"
import { Coercion, describeValue, EventDraft, extraText, FieldPlans, type FieldPlan } from "./EventDraft.ts"
import { inTimeRange, parseEventTime } from "./EventTime.ts"
import { childPath, InvalidNormalizer } from "./InvalidNormalizer.ts"
import { Refusal } from "./Refusal.ts"
import { readerOf, type RecordLayout, type RecordReader, type SourceRecord } from "./SourceRecord.ts"

/** Maps a parsed record into the draft; throws Refusal for a value its target cannot take. */
export type RecordMapper = (record: SourceRecord, draft: EventDraft) => void

interface CompiledEntry {
  /** Undefined for a constant. */
  readonly read: RecordReader | undefined
  /** A constant's final value (typed for a field, text for Extra). */
  readonly constant: unknown
  readonly conversions: ReadonlyArray<Conversion>
  /** The target field, or undefined for an Extra entry. */
  readonly plan: FieldPlan | undefined
  readonly extraKey: string
  /** How refusals name the entry. */
  readonly label: string
}

const NumericText = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/

const numberOf = (value: unknown): number =>
  typeof value === "number" ? value : typeof value === "string" && NumericText.test(value) ? Number(value) : Number.NaN

// Set by applyConversions: the value is already epoch milliseconds in the event time range.
let convertedToTime = false

/** Runs the conversions in order; throws Refusal when one cannot read the value. */
const applyConversions = (value: unknown, conversions: ReadonlyArray<Conversion>, receivedAt: number, label: string): unknown => {
  let current = value
  convertedToTime = false
  for (let i = 0; i < conversions.length; i++) {
    const conversion = conversions[i]!
    switch (conversion) {
      case "lower":
      case "upper":
      case "trim": {
        // Objects and arrays (nested JSON) have no case; they pass unchanged.
        const text = typeof current === "string" ? current : typeof current === "number" || typeof current === "boolean" ? String(current) : undefined
        if (text === undefined) break
        current = conversion === "lower" ? text.toLowerCase() : conversion === "upper" ? text.toUpperCase() : text.trim()
        convertedToTime = false
        break
      }
      case "number": {
        const number = numberOf(current)
        if (!Number.isFinite(number)) throw new Refusal(`${label}: cannot read ${describeValue(current)} as a number`)
        current = number
        convertedToTime = false
        break
      }
      case "timestamp": {
        const time = parseEventTime(current, receivedAt)
        if (time === undefined) throw new Refusal(`${label}: cannot read ${describeValue(current)} as a timestamp`)
        current = time
        convertedToTime = true
        break
      }
      case "epochSeconds":
      case "epochMillis": {
        const number = numberOf(current)
        const time = Number.isFinite(number) ? inTimeRange(Math.trunc(conversion === "epochSeconds" ? number * 1000 : number)) : undefined
        if (time === undefined) throw new Refusal(`${label}: cannot read ${describeValue(current)} as ${conversion === "epochSeconds" ? "epoch seconds" : "epoch milliseconds"}`)
        current = time
        convertedToTime = true
        break
      }
    }
  }
  return current
}

const writeEntry = (entry: CompiledEntry, value: unknown, draft: EventDraft): void => {
  const plan = entry.plan
  if (plan !== undefined) {
    if (convertedToTime && plan.coercion === Coercion.Time) draft.setTyped(plan, value)
    else draft.setField(plan, value, entry.label)
    return
  }
  const text = extraText(value, 0)
  if (text !== undefined) draft.setExtra(entry.extraKey, text)
}

const compileEntry = (entry: FieldMapping, nested: boolean, path: string): CompiledEntry => {
  const target = resolveTarget(entry.target)
  if (typeof target === "string") throw new InvalidNormalizer(childPath(path, "target"), target)
  const plan = target.kind === "field" ? FieldPlans.get(target.name) : undefined
  const extraKey = target.kind === "extra" ? target.key : ""
  if ((entry.source === undefined) === (entry.constant === undefined)) throw new InvalidNormalizer(path, "give exactly one of source and constant")
  const label = entry.source === undefined ? `constant for ${entry.target}` : entry.source
  const compiled: CompiledEntry = {
    read: entry.source === undefined ? undefined : readerOf(entry.source, nested),
    constant: undefined,
    conversions: entry.convert,
    plan,
    extraKey,
    label
  }
  if (entry.constant === undefined) return compiled
  // A constant is converted and typed once, through a draft of its own.
  try {
    const probe = new EventDraft()
    probe.event = {}
    probe.extraKeyBudget = Number.MAX_SAFE_INTEGER
    probe.receivedAt = Date.now()
    writeEntry(compiled, applyConversions(entry.constant, entry.convert, probe.receivedAt, label), probe)
    const constant = plan !== undefined ? probe.event[plan.name] : probe.extra?.[extraKey]
    if (constant === undefined) throw new Refusal(`${describeValue(entry.constant)} gives ${entry.target} no value`)
    return { ...compiled, constant }
  } catch (error) {
    if (error instanceof Refusal) throw new InvalidNormalizer(childPath(path, "constant"), error.reason)
    throw error
  }
}

/**
 * Compiles a spec's mapping for one record layout: the kind's default mapping without explicit
 * entries, else the explicit entries over what `unmapped` does with the fields they do not read.
 */
export const compileRecordMapping = (spec: NormalizerSpec, layout: RecordLayout, path: string): RecordMapper => {
  const mapping = spec.mapping
  const unmapped = spec.unmapped ?? (mapping === undefined ? "default" : "drop")
  const rest = unmapped === "default" ? layout.mapDefault : unmapped === "extra" ? layout.mapExtra : undefined
  const entries = (mapping ?? []).map((entry, index) => compileEntry(entry, layout.nested, childPath(childPath(path, "mapping"), index)))
  if (entries.length === 0) {
    if (rest === undefined) return () => {}
    return (record, draft) => rest(record, draft, undefined)
  }
  const read = new Set<string>()
  for (const entry of mapping ?? []) if (entry.source !== undefined) read.add(entry.source)
  const skip = read.size > 0 ? read : undefined
  return (record, draft) => {
    if (rest !== undefined) rest(record, draft, skip)
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!
      if (entry.read === undefined) {
        if (entry.plan !== undefined) draft.setTyped(entry.plan, entry.constant)
        else draft.setExtra(entry.extraKey, entry.constant as string)
        continue
      }
      const value = entry.read(record)
      if (value === undefined || value === null) continue
      if (entry.conversions.length === 0) {
        convertedToTime = false
        writeEntry(entry, value, draft)
      } else writeEntry(entry, applyConversions(value, entry.conversions, draft.receivedAt, entry.label), draft)
    }
  }
}
