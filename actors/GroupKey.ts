// The group key of a rule: the tuple of its identical fields' values. A unit separator joins
// the values so that ("a b","c") and ("a","b c") never collide.
import type { EventFieldName, NormalizedEvent } from "../model/Event.ts"

const Separator = "\u001f"

/** Reads the group key of `event` for the given identical fields. */
export const groupKeyOf = (event: NormalizedEvent, identicalFields: ReadonlyArray<EventFieldName>): string => {
  if (identicalFields.length === 0) return ""
  let key = ""
  for (let i = 0; i < identicalFields.length; i++) {
    const value = event[identicalFields[i]!]
    if (i > 0) key += Separator
    if (value !== undefined) key += typeof value === "object" ? JSON.stringify(value) : String(value)
  }
  return key
}

/** Splits a group key back into its values, in identical-field order. */
export const groupKeyValues = (groupKey: string): ReadonlyArray<string> => groupKey.split(Separator)
