// Pushes what it safely can of a search filter into DuckDB SQL over the stored JSON body, so the
// database skips rows before Node parses them. The result always selects a superset of the
// matches: the compiled filter still runs on every row the database returns, so a condition
// that is not translated (regular expressions, subnets, Extra entries, text ordering, whose
// semantics differ between the engines) only costs speed, never correctness.
import { EventFieldKinds, isEventFieldName } from "../../model/Event.ts"
import type { Filter } from "../../model/Filter.ts"
import { numericValue } from "../../model/FilterCompiler.ts"

/** A SQL condition with its bound values; `exact` when it selects exactly the filter's matches. */
export interface PushedFilter {
  readonly sql: string
  readonly params: ReadonlyArray<string | number>
  readonly exact: boolean
}


// Columns stored beside the body; every other field is read from the body's JSON.
const Columns: Readonly<Record<string, string>> = { Timestamp: "ts", Type: "type", TenantID: "tenant_id", ID: "id" }

interface Target {
  readonly sql: string
  readonly numeric: boolean
  /** Column values are never missing. */
  readonly required: boolean
}

const targetOf = (field: string): Target | undefined => {
  if (!isEventFieldName(field)) return undefined
  const column = Columns[field]
  const kind = EventFieldKinds[field]
  const numeric = kind === "integer" || kind === "number"
  if (column !== undefined) return { sql: column, numeric, required: true }
  if (kind === "string") return { sql: `json_extract_string(body, '$.${field}')`, numeric: false, required: false }
  if (numeric) return { sql: `TRY_CAST(json_extract_string(body, '$.${field}') AS DOUBLE)`, numeric: true, required: false }
  return undefined
}

const exact = (sql: string, params: ReadonlyArray<string | number> = []): PushedFilter => ({ sql, params, exact: true })
const Never = exact("false")

// A missing value makes a SQL comparison NULL; the filter language says it holds only for `!=`.
const whenPresent = (target: Target, condition: string, params: ReadonlyArray<string | number>, missing: boolean): PushedFilter =>
  exact(target.required ? condition : `COALESCE(${condition}, ${missing})`, params)

/** The SQL for `filter`, or undefined when nothing of it can be pushed (every row is a candidate). */
export const pushFilter = (filter: Filter): PushedFilter | undefined => {
  if ("and" in filter) {
    const parts = filter.and.map(pushFilter)
    const pushed = parts.filter((part): part is PushedFilter => part !== undefined)
    if (pushed.length === 0) return undefined
    return {
      sql: pushed.map((part) => `(${part.sql})`).join(" AND "),
      params: pushed.flatMap((part) => part.params),
      exact: pushed.length === parts.length && pushed.every((part) => part.exact)
    }
  }
  if ("or" in filter) {
    if (filter.or.length === 0) return Never
    const parts = filter.or.map(pushFilter)
    if (parts.some((part) => part === undefined)) return undefined
    const pushed = parts as Array<PushedFilter>
    return { sql: pushed.map((part) => `(${part.sql})`).join(" OR "), params: pushed.flatMap((part) => part.params), exact: pushed.every((part) => part.exact) }
  }
  if ("not" in filter) {
    // The negation of a superset is a subset: only an exact inner condition may be negated.
    const inner = pushFilter(filter.not)
    return inner !== undefined && inner.exact ? exact(`NOT (${inner.sql})`, inner.params) : undefined
  }
  if (filter.op === "inActiveList" || filter.op === "match" || filter.op === "inSubnet") return undefined
  if (filter.field.startsWith("$")) return undefined
  const target = targetOf(filter.field)
  if (target === undefined) return undefined
  switch (filter.op) {
    case "exists":
      return target.required ? exact("true") : exact(target.numeric ? `${target.sql} IS NOT NULL` : `COALESCE(${target.sql} <> '', false)`)
    case "in": {
      const values = target.numeric ? filter.values.map(numericValue).filter((value) => !Number.isNaN(value)) : filter.values.map(String)
      if (values.length === 0) return Never
      return whenPresent(target, `${target.sql} IN (${values.map(() => "?").join(", ")})`, values, false)
    }
    case "contains":
    case "startsWith":
    case "endsWith": {
      if (typeof filter.value === "object") return undefined
      if (target.numeric) return Never
      const fn = filter.op === "contains" ? "contains" : filter.op === "startsWith" ? "starts_with" : "ends_with"
      return whenPresent(target, `${fn}(${target.sql}, ?)`, [String(filter.value)], false)
    }
    default: {
      if (typeof filter.value === "object") return undefined
      if (target.numeric) {
        const number = numericValue(filter.value)
        if (Number.isNaN(number)) return filter.op === "!=" ? exact("true") : Never
        const op = filter.op === "!=" ? "<>" : filter.op
        return whenPresent(target, `${target.sql} ${op} ?`, [number], filter.op === "!=")
      }
      // Text ordering differs (UTF-8 bytes against UTF-16 units): left to the compiled filter.
      if (filter.op !== "=" && filter.op !== "!=") return undefined
      return whenPresent(target, `${target.sql} ${filter.op === "=" ? "=" : "<>"} ?`, [String(filter.value)], filter.op === "!=")
    }
  }
}
