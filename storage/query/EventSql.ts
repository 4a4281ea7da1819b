// The event search language (SPEC §6), first subset: SELECT columns FROM events [WHERE filter]
// [ORDER BY Timestamp [ASC|DESC]] [LIMIT n]. The WHERE clause is the shared filter language, read
// by the filter parser over the same tokens; errors say where (line, column) and what was expected.
import { Data } from "effect"
import { isEventFieldName, type EventFieldName } from "../../model/Event.ts"
import { MatchAll, type Filter } from "../../model/Filter.ts"
import { FilterCursor, FilterSyntaxError, parseFilterExpression } from "../../model/filter/FilterParser.ts"

export interface EventSql {
  /** Empty means every field (`*`). */
  readonly columns: ReadonlyArray<EventFieldName>
  readonly filter: Filter
  readonly order: "asc" | "desc"
  readonly limit: number
}

export class EventSqlError extends Data.TaggedError("EventSqlError")<{
  readonly message: string
  readonly line: number
  readonly column: number
  readonly expected: string
}> {}

export const DefaultLimit = 250
export const MaxLimit = 10_000

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
  const field = (): EventFieldName => {
    const token = cursor.next()
    if (token.kind !== "word" || !isEventFieldName(token.text)) return cursor.fail(token.at, "an event field", cursor.describe(token))
    return token.text
  }

  cursor.expectKeyword("SELECT")
  const columns: Array<EventFieldName> = []
  if (cursor.isSymbol(cursor.peek(), "*")) cursor.next()
  else {
    columns.push(field())
    while (cursor.isSymbol(cursor.peek(), ",")) {
      cursor.next()
      columns.push(field())
    }
  }
  cursor.expectKeyword("FROM")
  const table = cursor.next()
  if (table.kind !== "word" || table.text.toLowerCase() !== "events") cursor.fail(table.at, "the table events", cursor.describe(table))
  let filter: Filter = MatchAll
  if (cursor.isKeyword(cursor.peek(), "WHERE")) {
    cursor.next()
    // A search runs outside any correlator: no variables and no active lists to consult.
    filter = parseFilterExpression(cursor, { variables: false, activeLists: false })
  }
  let order: "asc" | "desc" = "desc"
  if (cursor.isKeyword(cursor.peek(), "ORDER")) {
    cursor.next()
    cursor.expectKeyword("BY")
    const by = cursor.next()
    if (by.kind !== "word" || by.text !== "Timestamp") cursor.fail(by.at, "Timestamp (the only sort key so far)", cursor.describe(by))
    if (cursor.isKeyword(cursor.peek(), "ASC")) {
      cursor.next()
      order = "asc"
    } else if (cursor.isKeyword(cursor.peek(), "DESC")) cursor.next()
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
  return { columns, filter, order, limit }
}
