// The json normalizer: one JSON object per record. Keys named like normalized fields map onto
// them with type coercion; other keys, nested objects flattened by dot path, land in Extra.
// The collector, never the input, decides TenantID, ID and the service fields.
import { Coercion, EventDraft, extraText, FieldPlans, type SpecRunner } from "./EventDraft.ts"
import type { NormalizeContext, NormalizeResult } from "./Normalizer.ts"
import { MaxNesting, Refusal } from "./Refusal.ts"
import type { DefaultMapper, JsonRecord, RecordLayout } from "./SourceRecord.ts"

export type { NormalizeContext, NormalizeResult } from "./Normalizer.ts"

/** Parses a record that must be one JSON object. */
export const parseJsonRecord = (text: string): JsonRecord => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new Refusal(`not JSON: ${(cause as Error).message}`)
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Refusal("not a JSON object")
  return parsed as JsonRecord
}

/** Puts a value into Extra under `prefix`, nested objects by dot path; null and undefined carry nothing. */
const flattenInto = (draft: EventDraft, prefix: string, value: unknown, depth: number, skip: ReadonlySet<string> | undefined): void => {
  if (value === null || value === undefined) return
  if (depth > MaxNesting) throw new Refusal(`objects nested deeper than ${MaxNesting} levels`)
  if (typeof value === "object" && !Array.isArray(value)) {
    for (const key in value) {
      const path = `${prefix}.${key}`
      if (skip !== undefined && skip.has(path)) continue
      flattenInto(draft, path, (value as JsonRecord)[key], depth + 1, skip)
    }
    return
  }
  // Arrays go to Extra as JSON; their nesting counts towards the same limit.
  draft.setExtra(prefix, typeof value === "string" ? value : extraText(value, depth)!)
}

/** Keys named like fields go there (collector-stamped ones are ignored), an `Extra` object merges into Extra, the rest is flattened into Extra. */
const mapJsonDefault: DefaultMapper = (source, draft, skip) => {
  const record = source as JsonRecord
  for (const key in record) {
    if (skip !== undefined && skip.has(key)) continue
    const value = record[key]
    const plan = FieldPlans.get(key)
    if (plan === undefined) flattenInto(draft, key, value, 0, skip)
    else if (plan.stamped) continue
    else if (plan.coercion === Coercion.Map && typeof value === "object" && value !== null) {
      for (const extraKey in value) flattenInto(draft, extraKey, (value as JsonRecord)[extraKey], 1, undefined)
    } else draft.setField(plan, value, key)
  }
}

/** Every key, field names included, flattened into Extra. */
const mapJsonExtra: DefaultMapper = (source, draft, skip) => {
  const record = source as JsonRecord
  for (const key in record) {
    if (skip === undefined || !skip.has(key)) flattenInto(draft, key, record[key], 0, skip)
  }
}

/** JSON records: nested objects, read by dot path. */
export const jsonLayout: RecordLayout = { nested: true, mapDefault: mapJsonDefault, mapExtra: mapJsonExtra }

const runDefault: SpecRunner = (text, draft) => mapJsonDefault(parseJsonRecord(text), draft, undefined)
const defaultDraft = new EventDraft()

/** Normalizes one JSON record with the default mapping; a record that is not a JSON object is an error, never a throw. */
export const normalizeJson = (raw: string, context: NormalizeContext): NormalizeResult => defaultDraft.run(raw, context, runDefault)
