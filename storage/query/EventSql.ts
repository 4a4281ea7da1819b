// The event search language (SPEC §6): SELECT columns or aggregates (count, sum, min, max, avg)
// FROM events [WHERE filter] [GROUP BY fields] [ORDER BY keys] [LIMIT n]. The WHERE clause is the
// shared filter language, read by the filter parser over the same tokens; errors say where (line,
// column) and what was expected. Nothing here names a tenant: the caller's tenants are applied
// by the executor, below any text a user can write.
import { Data } from "effect"
import { EventFieldKinds, isEventFieldName } from "../../model/Event.ts"
import { MatchAll, type Filter } from "../../model/Filter.ts"
import { FilterCursor, FilterSyntaxError, parseFilterExpression, type Token } from "../../model/filter/FilterParser.ts"

/** An event field name, or `Extra.<key>` for an entry of Extra. */
export type FieldRef = string

export type AggregateFunction = "count" | "sum" | "min" | "max" | "avg"

/** One output column: a field, or an aggregate over a field (`count(*)` has none). */
export type SelectItem =
  | { readonly kind: "field"; readonly field: FieldRef; readonly name: string }
  | { readonly kind: "aggregate"; readonly fn: AggregateFunction; readonly field: FieldRef | undefined; readonly name: string }

/** A sort key, by output column name (or, in an event query, any field). */
export interface OrderKey {
  readonly name: string
  readonly direction: "asc" | "desc"
}

export interface EventSql {
  /** Empty means every field (`*`). */
  readonly select: ReadonlyArray<SelectItem>
  readonly filter: Filter
  readonly groupBy: ReadonlyArray<FieldRef>
  /** Empty means newest first (events) or by the group values (aggregates). */
  readonly orderBy: ReadonlyArray<OrderKey>
  readonly limit: number
  /** True when the query has aggregates or GROUP BY: its rows are groups, not events. */
  readonly aggregated: boolean
}

export class EventSqlError extends Data.TaggedError("EventSqlError")<{
  readonly message: string
  readonly line: number
  readonly column: number
  readonly expected: string
}> {}

export const DefaultLimit = 250
export const MaxLimit = 10_000

const Functions = new Set<string>(["count", "sum", "min", "max", "avg"])
const FieldOrExtra = "an event field or Extra.<key>"

/** True when `field` names a numeric field of the event model. */
export const isNumericField = (field: FieldRef): boolean =>
  isEventFieldName(field) && (EventFieldKinds[field] === "integer" || EventFieldKinds[field] === "number")

const isFieldRef = (text: string): boolean => isEventFieldName(text) || (text.startsWith("Extra.") && text.length > "Extra.".length)
// Lists and the whole Extra map have no single value to group, sort or aggregate by.
const isScalarRef = (text: string): boolean =>
  !isEventFieldName(text) ? isFieldRef(text) : EventFieldKinds[text] !== "strings" && EventFieldKinds[text] !== "map"

/** Parses a search query; fails with the position and what was expected. */
export const parseEventSql = (source: string): EventSql | EventSqlError => {
  try {
    return parse(new FilterCursor(source, "end of query"))
  } catch (error) {
    if (error instanceof FilterSyntaxError) {
      return new EventSqlError({ message: error.message, line: error.line, column: error.column, expected: error.expected })
    }
    throw error
  }
}

const parse = (cursor: FilterCursor): EventSql => {
  const fieldRef = (scalar: boolean): { field: FieldRef; at: number } => {
    const token = cursor.next()
    if (token.kind !== "word" || !isFieldRef(token.text)) return cursor.fail(token.at, FieldOrExtra, cursor.describe(token))
    if (scalar && !isScalarRef(token.text)) return cursor.fail(token.at, "a field with one value (not a list or the whole Extra map)", token.text)
    return { field: token.text, at: token.at }
  }
  const alias = (): string | undefined => {
    if (!cursor.isKeyword(cursor.peek(), "AS")) return undefined
    cursor.next()
    const token = cursor.next()
    if (token.kind !== "word" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(token.text) || isKeywordLike(token)) {
      return cursor.fail(token.at, "a column name (letters, digits, _)", cursor.describe(token))
    }
    return token.text
  }
  const isKeywordLike = (token: Token) => ["FROM", "WHERE", "GROUP", "ORDER", "LIMIT", "AS", "BY", "SELECT"].some((keyword) => cursor.isKeyword(token, keyword))

  cursor.expectKeyword("SELECT")
  const select: Array<SelectItem> = []
  const positions: Array<number> = []
  if (cursor.isSymbol(cursor.peek(), "*")) cursor.next()
  else {
    do {
      if (select.length > 0) cursor.next()
      const start = cursor.peek()
      positions.push(start.at)
      if (start.kind === "word" && cursor.isSymbol(cursor.peek(1), "(")) {
        const fn = start.text.toLowerCase()
        if (!Functions.has(fn)) cursor.fail(start.at, "an aggregate function (count, sum, min, max, avg) or a field", start.text)
        cursor.next()
        cursor.next()
        let field: FieldRef | undefined
        if (fn === "count" && cursor.isSymbol(cursor.peek(), "*")) cursor.next()
        else {
          const ref = fieldRef(true)
          if ((fn === "sum" || fn === "avg") && !isNumericField(ref.field)) cursor.fail(ref.at, `a numeric field for ${fn}`, ref.field)
          field = ref.field
        }
        cursor.expectSymbol(")")
        const name = alias() ?? `${fn}(${field ?? "*"})`
        select.push({ kind: "aggregate", fn: fn as AggregateFunction, field, name })
      } else {
        const ref = fieldRef(false)
        select.push({ kind: "field", field: ref.field, name: alias() ?? ref.field })
      }
    } while (cursor.isSymbol(cursor.peek(), ","))
  }
  const seen = new Set<string>()
  select.forEach((item, index) => {
    if (seen.has(item.name)) cursor.fail(positions[index]!, "a distinct column name (add AS <name>)", item.name)
    seen.add(item.name)
  })

  cursor.expectKeyword("FROM")
  const table = cursor.next()
  if (table.kind !== "word" || table.text.toLowerCase() !== "events") cursor.fail(table.at, "the table events", cursor.describe(table))
  let filter: Filter = MatchAll
  if (cursor.isKeyword(cursor.peek(), "WHERE")) {
    cursor.next()
    // A search runs outside any correlator: no variables and no active lists to consult.
    filter = parseFilterExpression(cursor, { variables: false, activeLists: false })
  }

  const groupBy: Array<FieldRef> = []
  let groupAt = -1
  if (cursor.isKeyword(cursor.peek(), "GROUP")) {
    groupAt = cursor.next().at
    cursor.expectKeyword("BY")
    do {
      if (groupBy.length > 0) cursor.next()
      const ref = fieldRef(true)
      if (groupBy.includes(ref.field)) cursor.fail(ref.at, "a field not already in GROUP BY", ref.field)
      groupBy.push(ref.field)
    } while (cursor.isSymbol(cursor.peek(), ","))
  }
  const aggregated = groupBy.length > 0 || select.some((item) => item.kind === "aggregate")
  if (aggregated) {
    if (select.length === 0) cursor.fail(groupAt >= 0 ? groupAt : 0, "a column list instead of * with GROUP BY", "*")
    select.forEach((item, index) => {
      if (item.kind === "field" && !groupBy.includes(item.field)) cursor.fail(positions[index]!, `an aggregate, or ${item.field} in GROUP BY`, item.field)
    })
  }

  const orderBy: Array<OrderKey> = []
  if (cursor.isKeyword(cursor.peek(), "ORDER")) {
    cursor.next()
    cursor.expectKeyword("BY")
    do {
      if (orderBy.length > 0) cursor.next()
      const at = cursor.peek().at
      const name = aggregated ? orderKeyOfGroups(cursor, select, groupBy) : fieldRef(true).field
      let direction: "asc" | "desc" = "asc"
      if (cursor.isKeyword(cursor.peek(), "ASC")) cursor.next()
      else if (cursor.isKeyword(cursor.peek(), "DESC")) {
        cursor.next()
        direction = "desc"
      }
      if (orderBy.some((key) => key.name === name)) cursor.fail(at, "a key not already in ORDER BY", name)
      orderBy.push({ name, direction })
    } while (cursor.isSymbol(cursor.peek(), ","))
  }

  let limit = DefaultLimit
  if (cursor.isKeyword(cursor.peek(), "LIMIT")) {
    cursor.next()
    const token = cursor.next()
    if (token.kind !== "number" || !Number.isInteger(token.value) || token.value < 1 || token.value > MaxLimit) {
      return cursor.fail(token.at, `a whole number from 1 to ${MaxLimit}`, cursor.describe(token))
    }
    limit = token.value
  }
  const end = cursor.next()
  if (end.kind !== "end") cursor.fail(end.at, "end of query", cursor.describe(end))
  return { select, filter, groupBy, orderBy, limit, aggregated }
}

/** In a query of groups, a sort key names an output column, a grouped field, or a selected aggregate as written. */
const orderKeyOfGroups = (cursor: FilterCursor, select: ReadonlyArray<SelectItem>, groupBy: ReadonlyArray<FieldRef>): string => {
  const token = cursor.next()
  const expected = "a column of the result (a GROUP BY field, an aggregate or its name)"
  if (token.kind !== "word") return cursor.fail(token.at, expected, cursor.describe(token))
  if (cursor.isSymbol(cursor.peek(), "(")) {
    const fn = token.text.toLowerCase()
    cursor.next()
    let field = "*"
    const inner = cursor.next()
    if (!cursor.isSymbol(inner, "*")) {
      if (inner.kind !== "word") cursor.fail(inner.at, FieldOrExtra, cursor.describe(inner))
      field = (inner as { text: string }).text
    }
    cursor.expectSymbol(")")
    const item = select.find((candidate) => candidate.kind === "aggregate" && candidate.fn === fn && (candidate.field ?? "*") === field)
    if (item === undefined) return cursor.fail(token.at, `${expected}; ${fn}(${field}) is not selected`, `${token.text}(${field})`)
    return item.name
  }
  const byName = select.find((item) => item.name === token.text)
  if (byName !== undefined) return byName.name
  if (groupBy.includes(token.text)) return token.text
  return cursor.fail(token.at, expected, token.text)
}
