// Compiles a filter tree into a plain predicate once, so the per-event path is closures over
// pre-resolved field names with no parsing or allocation.
import { isEventFieldName, type NormalizedEvent } from "./Event.ts"
import type { Filter } from "./Filter.ts"

/** A compiled filter. */
export type EventPredicate = (event: NormalizedEvent) => boolean

/** Raised at compile time for a filter that names an unknown field. */
export class UnknownField extends Error {
  readonly _tag = "UnknownField"
  constructor(readonly field: string) {
    super(`unknown event field '${field}'`)
  }
}

type Scalar = string | number
type Field = keyof NormalizedEvent

const read = (event: NormalizedEvent, field: Field): unknown => event[field]

const NumericText = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/

/** A constant as a number, when it is one; `""` is not 0. */
const asNumber = (value: Scalar): number | undefined =>
  typeof value === "number" ? value : NumericText.test(value) ? Number(value) : undefined

const compare = (actual: unknown, expected: Scalar): number | undefined => {
  if (typeof actual === "number") {
    const other = asNumber(expected)
    return other === undefined ? undefined : actual - other
  }
  if (typeof actual === "string") {
    const other = String(expected)
    return actual < other ? -1 : actual > other ? 1 : 0
  }
  return undefined
}

const fieldOf = (name: string): Field => {
  if (!isEventFieldName(name)) throw new UnknownField(name)
  return name
}

/** Compiles `filter`; throws UnknownField for a field the model does not have. */
export const compileFilter = (filter: Filter): EventPredicate => {
  if ("and" in filter) {
    const parts = filter.and.map(compileFilter)
    return (event) => {
      for (let i = 0; i < parts.length; i++) if (!parts[i]!(event)) return false
      return true
    }
  }
  if ("or" in filter) {
    const parts = filter.or.map(compileFilter)
    return (event) => {
      for (let i = 0; i < parts.length; i++) if (parts[i]!(event)) return true
      return false
    }
  }
  if ("not" in filter) {
    const inner = compileFilter(filter.not)
    return (event) => !inner(event)
  }
  const field = fieldOf(filter.field)
  switch (filter.op) {
    case "exists":
      return (event) => {
        const value = read(event, field)
        return value !== undefined && value !== ""
      }
    case "in": {
      // Numbers compare as numbers ('080' is 80), like `=` does; text compares as text.
      const texts = new Set(filter.values.map(String))
      const numbers = new Set(filter.values.map(asNumber).filter((value): value is number => value !== undefined))
      return (event) => {
        const value = read(event, field)
        if (value === undefined) return false
        return typeof value === "number" ? numbers.has(value) : texts.has(String(value))
      }
    }
    case "=": {
      const expected = filter.value
      return (event) => compare(read(event, field), expected) === 0
    }
    case "!=": {
      const expected = filter.value
      return (event) => compare(read(event, field), expected) !== 0
    }
    case "<":
    case "<=":
    case ">":
    case ">=": {
      const expected = filter.value
      const op = filter.op
      return (event) => {
        const order = compare(read(event, field), expected)
        if (order === undefined) return false
        return op === "<" ? order < 0 : op === "<=" ? order <= 0 : op === ">" ? order > 0 : order >= 0
      }
    }
    case "contains":
    case "startsWith":
    case "endsWith": {
      const needle = String(filter.value)
      const op = filter.op
      return (event) => {
        const value = read(event, field)
        if (typeof value !== "string") return false
        return op === "contains" ? value.includes(needle) : op === "startsWith" ? value.startsWith(needle) : value.endsWith(needle)
      }
    }
  }
}
