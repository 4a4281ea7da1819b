// Conditions that choose sub-normalizers, compiled once. They test the enclosing normalizer's parsed
// record (free-form field names, text values) or the whole record text, so they are a small list
// of their own rather than the event filter language, whose fields are the normalized model's.
import type { RecordCondition } from "../../model/Normalizer.ts"
import { compileRe2 } from "../../model/Normalizer.ts"
import { childPath, InvalidNormalizer } from "./InvalidNormalizer.ts"
import { readerOf, type SourceRecord } from "./SourceRecord.ts"

/** Holds when every condition holds for the record (and its text). */
export type RecordPredicate = (record: SourceRecord, text: string) => boolean

type TextTest = (value: string) => boolean

/** A record value as text: numbers and booleans printed; objects, arrays and absence are no text. */
const textOf = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined

const compileTest = (condition: RecordCondition, path: string): TextTest => {
  switch (condition.op) {
    case "exists":
      return (value) => value !== ""
    case "regex": {
      const regex = compileRe2(condition.value)
      if (typeof regex === "string") throw new InvalidNormalizer(childPath(path, "value"), regex)
      return (value) => regex.test(value)
    }
    case "=": {
      const expected = String(condition.value)
      return (value) => value === expected
    }
    case "!=": {
      const expected = String(condition.value)
      return (value) => value !== expected
    }
    case "contains": {
      const needle = String(condition.value)
      return (value) => value.includes(needle)
    }
    case "startsWith": {
      const prefix = String(condition.value)
      return (value) => value.startsWith(prefix)
    }
    case "endsWith": {
      const suffix = String(condition.value)
      return (value) => value.endsWith(suffix)
    }
  }
}

const compileCondition = (condition: RecordCondition, nested: boolean, path: string): RecordPredicate => {
  const test = compileTest(condition, path)
  const field = condition.field
  if (field === undefined) return (_record, text) => test(text)
  const read = readerOf(field, nested)
  // A missing field satisfies only `!=`, as in the filter language.
  const whenMissing = condition.op === "!="
  return (record) => {
    const value = textOf(read(record))
    return value === undefined ? whenMissing : test(value)
  }
}

/** Compiles `when`; an empty list always holds. */
export const compileRecordConditions = (conditions: ReadonlyArray<RecordCondition>, nested: boolean, path: string): RecordPredicate => {
  const predicates = conditions.map((condition, index) => compileCondition(condition, nested, childPath(path, index)))
  if (predicates.length === 0) return () => true
  if (predicates.length === 1) return predicates[0]!
  return (record, text) => {
    for (let i = 0; i < predicates.length; i++) if (!predicates[i]!(record, text)) return false
    return true
  }
}
