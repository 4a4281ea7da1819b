// The event search language (SPEC §6), first subset: SELECT columns FROM events [WHERE filter]
// [ORDER BY Timestamp [ASC|DESC]] [LIMIT n]. The WHERE clause becomes the shared filter tree;
// errors say where (line, column) and what was expected.
import { Data } from "effect"
import { isEventFieldName, type EventFieldName } from "../../model/Event.ts"
import type { Filter } from "../../model/Filter.ts"

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

type Token =
  | { readonly kind: "word"; readonly text: string; readonly at: number }
  | { readonly kind: "string"; readonly text: string; readonly at: number }
  | { readonly kind: "number"; readonly value: number; readonly at: number }
  | { readonly kind: "symbol"; readonly text: string; readonly at: number }
  | { readonly kind: "end"; readonly at: number }

const Symbols = ["<=", ">=", "!=", "<>", "=", "<", ">", "(", ")", ",", "*"]

const positionOf = (source: string, at: number) => {
  const before = source.slice(0, at).split("\n")
  return { line: before.length, column: before[before.length - 1]!.length + 1 }
}

const describe = (token: Token): string =>
  token.kind === "end" ? "end of query" : token.kind === "number" ? String(token.value) : token.kind === "string" ? `'${token.text}'` : token.text

const tokenize = (source: string, fail: (at: number, expected: string, found: string) => never): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < source.length) {
    const char = source[i]!
    if (/\s/.test(char)) {
      i++
      continue
    }
    if (char === "'") {
      let text = ""
      let j = i + 1
      for (;;) {
        if (j >= source.length) fail(i, "closing quote", "end of query")
        if (source[j] === "'") {
          if (source[j + 1] === "'") {
            text += "'"
            j += 2
            continue
          }
          break
        }
        text += source[j]
        j++
      }
      tokens.push({ kind: "string", text, at: i })
      i = j + 1
      continue
    }
    const number = /^-?\d+(\.\d+)?/.exec(source.slice(i))
    if (number !== null) {
      tokens.push({ kind: "number", value: Number(number[0]), at: i })
      i += number[0].length
      continue
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(source.slice(i))
    if (word !== null) {
      tokens.push({ kind: "word", text: word[0], at: i })
      i += word[0].length
      continue
    }
    const symbol = Symbols.find((candidate) => source.startsWith(candidate, i))
    if (symbol === undefined) fail(i, "a field, value or operator", `'${char}'`)
    tokens.push({ kind: "symbol", text: symbol, at: i })
    i += symbol.length
  }
  tokens.push({ kind: "end", at: source.length })
  return tokens
}

/** Parses a search query; fails with the position and what was expected. */
export const parseEventSql = (source: string): EventSql | EventSqlError => {
  try {
    return parse(source)
  } catch (error) {
    if (error instanceof EventSqlError) return error
    throw error
  }
}

const parse = (source: string): EventSql => {
  const fail = (at: number, expected: string, found: string): never => {
    const { line, column } = positionOf(source, at)
    throw new EventSqlError({ message: `line ${line}, column ${column}: expected ${expected}, found ${found}`, line, column, expected })
  }
  const tokens = tokenize(source, fail)
  let index = 0
  const peek = () => tokens[index]!
  const next = () => tokens[index++]!
  const isKeyword = (token: Token, keyword: string) => token.kind === "word" && token.text.toUpperCase() === keyword
  const keyword = (word: string) => {
    const token = next()
    if (!isKeyword(token, word)) fail(token.at, word, describe(token))
  }
  const symbol = (text: string) => {
    const token = next()
    if (token.kind !== "symbol" || token.text !== text) fail(token.at, `'${text}'`, describe(token))
  }
  const field = (): EventFieldName => {
    const token = next()
    if (token.kind !== "word" || !isEventFieldName(token.text)) return fail(token.at, "an event field", describe(token))
    return token.text
  }
  const literal = (): string | number => {
    const token = next()
    if (token.kind === "string") return token.text
    if (token.kind === "number") return token.value
    return fail(token.at, "a quoted string or a number", describe(token))
  }

  const predicate = (): Filter => {
    const name = field()
    const token = peek()
    if (isKeyword(token, "IN")) {
      next()
      symbol("(")
      const values = [literal()]
      while (peek().kind === "symbol" && (peek() as { text: string }).text === ",") {
        next()
        values.push(literal())
      }
      symbol(")")
      return { field: name, op: "in", values }
    }
    if (isKeyword(token, "LIKE")) {
      next()
      const patternToken = peek()
      const pattern = literal()
      if (typeof pattern !== "string") return fail(patternToken.at, "a quoted LIKE pattern", describe(patternToken))
      const inner = pattern.replace(/^%/, "").replace(/%$/, "")
      if (inner.includes("%") || inner.includes("_")) return fail(patternToken.at, "a pattern with % only at its ends", describe(patternToken))
      const starts = pattern.startsWith("%")
      const ends = pattern.endsWith("%") && pattern.length > 1
      return { field: name, op: starts && ends ? "contains" : starts ? "endsWith" : ends ? "startsWith" : "=", value: inner }
    }
    if (isKeyword(token, "IS")) {
      next()
      const negated = isKeyword(peek(), "NOT")
      if (negated) next()
      keyword("NULL")
      const exists: Filter = { field: name, op: "exists" }
      return negated ? exists : { not: exists }
    }
    const operator = next()
    if (operator.kind !== "symbol" || !["=", "!=", "<>", "<", "<=", ">", ">="].includes(operator.text)) {
      return fail(operator.at, "a comparison (=, !=, <, <=, >, >=), IN, LIKE or IS", describe(operator))
    }
    const op = operator.text === "<>" ? "!=" : (operator.text as "=" | "!=" | "<" | "<=" | ">" | ">=")
    return { field: name, op, value: literal() }
  }
  const unary = (): Filter => {
    if (isKeyword(peek(), "NOT")) {
      next()
      return { not: unary() }
    }
    const token = peek()
    if (token.kind === "symbol" && token.text === "(") {
      next()
      const inner = or()
      symbol(")")
      return inner
    }
    return predicate()
  }
  const and = (): Filter => {
    const parts = [unary()]
    while (isKeyword(peek(), "AND")) {
      next()
      parts.push(unary())
    }
    return parts.length === 1 ? parts[0]! : { and: parts }
  }
  const or = (): Filter => {
    const parts = [and()]
    while (isKeyword(peek(), "OR")) {
      next()
      parts.push(and())
    }
    return parts.length === 1 ? parts[0]! : { or: parts }
  }

  keyword("SELECT")
  const columns: Array<EventFieldName> = []
  const first = peek()
  if (first.kind === "symbol" && first.text === "*") next()
  else {
    columns.push(field())
    while (peek().kind === "symbol" && (peek() as { text: string }).text === ",") {
      next()
      columns.push(field())
    }
  }
  keyword("FROM")
  const table = next()
  if (table.kind !== "word" || table.text.toLowerCase() !== "events") fail(table.at, "the table events", describe(table))
  let filter: Filter = { and: [] }
  if (isKeyword(peek(), "WHERE")) {
    next()
    filter = or()
  }
  let order: "asc" | "desc" = "desc"
  if (isKeyword(peek(), "ORDER")) {
    next()
    keyword("BY")
    const by = next()
    if (by.kind !== "word" || by.text !== "Timestamp") fail(by.at, "Timestamp (the only sort key so far)", describe(by))
    if (isKeyword(peek(), "ASC")) {
      next()
      order = "asc"
    } else if (isKeyword(peek(), "DESC")) next()
  }
  let limit = DefaultLimit
  if (isKeyword(peek(), "LIMIT")) {
    next()
    const token = next()
    if (token.kind !== "number" || !Number.isInteger(token.value) || token.value < 1 || token.value > MaxLimit) {
      fail(token.at, `a whole number from 1 to ${MaxLimit}`, describe(token))
    }
    limit = (token as { value: number }).value
  }
  const end = next()
  if (end.kind !== "end") fail(end.at, "end of query", describe(end))
  return { columns, filter, order, limit }
}
