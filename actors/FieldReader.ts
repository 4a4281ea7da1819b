// Reads what a rule names from an event: a field of the normalized event, an entry of its
// Extra map (`Extra.key`), or a variable (`$name`). Resolved once at compile time.
import { isEventFieldName, type EventFieldName, type NormalizedEvent } from "../model/Event.ts"

export type FieldReader = (event: NormalizedEvent) => unknown

/** Thrown at compile time for a name that is neither a field, an Extra entry nor a known variable. */
export class UnknownFieldRef extends Error {
  readonly _tag = "UnknownFieldRef"
  constructor(readonly ref: string) {
    super(ref.startsWith("$") ? `unknown variable '${ref}'` : `unknown event field '${ref}'`)
  }
}

/** Compiles a field reference; variables come from `variables` by name (without `$`). */
export const fieldReader = (ref: string, variables?: ReadonlyMap<string, FieldReader>): FieldReader => {
  if (ref.startsWith("$")) {
    const reader = variables?.get(ref.slice(1))
    if (reader === undefined) throw new UnknownFieldRef(ref)
    return reader
  }
  if (ref.startsWith("Extra.")) {
    const key = ref.slice("Extra.".length)
    return (event) => event.Extra?.[key]
  }
  if (!isEventFieldName(ref)) throw new UnknownFieldRef(ref)
  const field: EventFieldName = ref
  return (event) => event[field]
}

/** The plain event field a reference names, if it names one (not Extra, not a variable). */
export const plainField = (ref: string): EventFieldName | undefined => (isEventFieldName(ref) ? ref : undefined)
