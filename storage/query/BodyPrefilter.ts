// A cheap test on a stored event's JSON text, run before parsing it: equality conditions that
// every match must meet become substrings the text must contain. Bodies are written with
// JSON.stringify, whose output is canonical (no spaces; quotes inside strings escaped), so a
// matching event always contains `"Field":<value>`; the text may contain it elsewhere too (a
// nested Extra key), which is why the compiled filter still decides on every parsed event.
import { EventFieldKinds, isEventFieldName } from "../../model/Event.ts"
import type { Filter } from "../../model/Filter.ts"
import { numericValue } from "../../model/FilterCompiler.ts"

/** Answers false only for a body that cannot match; undefined when nothing can be tested cheaply. */
export type BodyPrefilter = (body: string) => boolean


/** The texts one of which a matching body must contain, for one condition. */
const needlesOf = (condition: Filter): ReadonlyArray<string> | undefined => {
  if (!("field" in condition) || !isEventFieldName(condition.field)) return undefined
  const kind = EventFieldKinds[condition.field]
  const values = condition.op === "=" && typeof condition.value !== "object" ? [condition.value] : condition.op === "in" ? condition.values : undefined
  if (values === undefined || values.length === 0) return undefined
  const key = `"${condition.field}":`
  if (kind === "string") return values.map((value) => key + JSON.stringify(String(value)))
  if (kind === "integer" || kind === "number") {
    const numbers = values.map(numericValue)
    // A number ends at a comma or the closing brace: 22 must not find 225.
    return numbers.filter(Number.isFinite).flatMap((number) => [`${key}${JSON.stringify(number)},`, `${key}${JSON.stringify(number)}}`])
  }
  return undefined
}

/** The prefilter of `filter`'s top-level AND conditions, or undefined when none qualifies. */
export const bodyPrefilter = (filter: Filter): BodyPrefilter | undefined => {
  const conditions = "and" in filter ? filter.and : [filter]
  const required = conditions.map(needlesOf).filter((needles): needles is ReadonlyArray<string> => needles !== undefined && needles.length > 0)
  if (required.length === 0) return undefined
  return (body) => {
    for (const needles of required) {
      let found = false
      for (const needle of needles) {
        if (body.includes(needle)) {
          found = true
          break
        }
      }
      if (!found) return false
    }
    return true
  }
}
