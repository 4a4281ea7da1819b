// The filter language's text form (SPEC §4, §6): a SQL-WHERE-like syntax shared by rule selectors
// and event search, parsed into the Filter tree with positioned errors, and printed back.
import { Data, Either } from "effect"
import { RE2JS, RE2JSException } from "re2js"
import { isEventFieldName } from "../Event.ts"
import type { Filter } from "../Filter.ts"
import * as IpAddress from "./IpAddress.ts"

/** A filter text that does not parse: where (1-based line and column) and what was expected. */
export class FilterSyntaxError extends Data.TaggedError("FilterSyntaxError")<{
  readonly message: string
  readonly line: number
  readonly column: number
  readonly expected: string
}> {}

/** Parses filter text into a tree, or says where and why it does not parse; never throws. */
export const parseFilter = (text: string): Filter | FilterSyntaxError => {
  try {
    const cursor = new FilterCursor(text, "end of filter")
    const filter = parseFilterExpression(cursor)
    const end = cursor.next()
    if (end.kind !== "end") cursor.fail(end.at, "AND, OR or end of filter", describe(end))
    return filter
  } catch (error) {
    if (error instanceof FilterSyntaxError) return error
    throw error
  }
}

/** What a host language (event search) allows inside its filters. */
export interface FilterSyntaxOptions {
  /** `$name` in field and value positions; event search has no variables. */
  readonly variables?: boolean
  /** `inActiveList(...)`; event search has no active lists. */
  readonly activeLists?: boolean
}

export type Token =
  | { readonly kind: "word"; readonly text: string; readonly at: number }
  | { readonly kind: "identifier"; readonly text: string; readonly at: number }
  | { readonly kind: "variable"; readonly name: string; readonly at: number }
  | { readonly kind: "string"; readonly text: string; readonly at: number }
  | { readonly kind: "number"; readonly value: number; readonly text: string; readonly at: number }
  | { readonly kind: "symbol"; readonly text: string; readonly at: number }
  | { readonly kind: "end"; readonly at: number }

// Longer symbols first, so `<=` is not read as `<` then `=`; `*` serves SELECT * in event search.
const Symbols = ["<=", ">=", "!=", "<>", "=", "<", ">", "(", ")", ",", "*"]
const Whitespace = /\s/
const NumberToken = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y
const WordToken = /[A-Za-z_][A-Za-z0-9_.]*/y
const VariableToken = /\$([A-Za-z_][A-Za-z0-9_]*)/y
const PlainWord = /^[A-Za-z_][A-Za-z0-9_.]*$/
const PlainVariable = /^\$[A-Za-z_][A-Za-z0-9_]*$/

/** Words that start or continue syntax and so never name a field unquoted. */
const Reserved = new Set([
  "AND", "OR", "NOT", "IN", "LIKE", "IS", "NULL", "TRUE", "FALSE", "CONTAINS", "STARTSWITH", "ENDSWITH",
  "SELECT", "FROM", "WHERE", "ORDER", "BY", "ASC", "DESC", "LIMIT"
])

/** Deeper nesting than this is refused rather than risk the stack on hostile input. */
export const MaxNesting = 200

const describe = (token: Token, endName = "end of filter"): string => {
  switch (token.kind) {
    case "end":
      return endName
    case "string":
      return `'${token.text}'`
    case "identifier":
      return `"${token.text}"`
    case "variable":
      return `$${token.name}`
    default:
      return token.text
  }
}

const positionOf = (source: string, at: number): { readonly line: number; readonly column: number } => {
  const before = source.slice(0, at).split("\n")
  return { line: before.length, column: before[before.length - 1]!.length + 1 }
}

/**
 * The tokens of a text and a position in them, for this parser and the languages that embed a
 * filter (event search's WHERE); positions in errors are offsets into the whole text.
 */
export class FilterCursor {
  private readonly tokens: ReadonlyArray<Token>
  private index = 0

  /** Tokenizes `source`; throws FilterSyntaxError for text outside the language. */
  constructor(readonly source: string, readonly endName: string) {
    this.tokens = this.tokenize()
  }

  /** Throws a FilterSyntaxError at offset `at`. */
  fail(at: number, expected: string, found: string): never {
    const { line, column } = positionOf(this.source, at)
    throw new FilterSyntaxError({ message: `line ${line}, column ${column}: expected ${expected}, found ${found}`, line, column, expected })
  }

  peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)]!
  }

  next(): Token {
    const token = this.peek()
    if (this.index < this.tokens.length - 1) this.index++
    return token
  }

  /** How a token reads in an error message. */
  describe(token: Token): string {
    return describe(token, this.endName)
  }

  /** Keywords are case-insensitive. */
  isKeyword(token: Token, keyword: string): boolean {
    return token.kind === "word" && token.text.toUpperCase() === keyword
  }

  isSymbol(token: Token, symbol: string): boolean {
    return token.kind === "symbol" && token.text === symbol
  }

  expectKeyword(keyword: string, expected = keyword): void {
    const token = this.next()
    if (!this.isKeyword(token, keyword)) this.fail(token.at, expected, this.describe(token))
  }

  expectSymbol(symbol: string): void {
    const token = this.next()
    if (!this.isSymbol(token, symbol)) this.fail(token.at, `'${symbol}'`, this.describe(token))
  }

  private tokenize(): Array<Token> {
    const source = this.source
    const tokens: Array<Token> = []
    let i = 0
    while (i < source.length) {
      const char = source[i]!
      if (Whitespace.test(char)) {
        i++
        continue
      }
      if (char === "'" || char === '"') {
        // Strings in single quotes, identifiers in double quotes; a doubled quote escapes itself.
        let text = ""
        let j = i + 1
        for (;;) {
          if (j >= source.length) this.fail(i, char === "'" ? "closing quote" : 'closing "', this.endName)
          if (source[j] === char) {
            if (source[j + 1] === char) {
              text += char
              j += 2
              continue
            }
            break
          }
          text += source[j]
          j++
        }
        tokens.push(char === "'" ? { kind: "string", text, at: i } : { kind: "identifier", text, at: i })
        i = j + 1
        continue
      }
      NumberToken.lastIndex = i
      const number = NumberToken.exec(source)
      if (number !== null) {
        tokens.push({ kind: "number", value: Number(number[0]), text: number[0], at: i })
        i += number[0].length
        continue
      }
      WordToken.lastIndex = i
      const word = WordToken.exec(source)
      if (word !== null) {
        tokens.push({ kind: "word", text: word[0], at: i })
        i += word[0].length
        continue
      }
      if (char === "$") {
        VariableToken.lastIndex = i
        const variable = VariableToken.exec(source)
        if (variable === null) this.fail(i + 1, "a variable name after $", source[i + 1] === undefined ? this.endName : `'${source[i + 1]}'`)
        tokens.push({ kind: "variable", name: variable[1]!, at: i })
        i += variable[0].length
        continue
      }
      const symbol = Symbols.find((candidate) => source.startsWith(candidate, i))
      if (symbol === undefined) this.fail(i, "a field, value or operator", `'${char}'`)
      tokens.push({ kind: "symbol", text: symbol, at: i })
      i += symbol.length
    }
    tokens.push({ kind: "end", at: source.length })
    return tokens
  }
}

const ConditionStart = "a field, a variable or '('"
const OperatorExpected = "a comparison (=, !=, <, <=, >, >=), IN, LIKE, IS, contains, startsWith or endsWith"
const NegatedOperatorExpected = "IN, LIKE, contains, startsWith or endsWith"
const OperandExpected = "a quoted string, a number or a variable"
const LiteralExpected = "a quoted string or a number"
const Comparisons: ReadonlyMap<string, "=" | "!=" | "<" | "<=" | ">" | ">="> = new Map([
  ["=", "="], ["!=", "!="], ["<>", "!="], ["<", "<"], ["<=", "<="], [">", ">"], [">=", ">="]
])
const TextOperators: ReadonlyMap<string, "contains" | "startsWith" | "endsWith"> = new Map([
  ["CONTAINS", "contains"], ["STARTSWITH", "startsWith"], ["ENDSWITH", "endsWith"]
])
const Functions = new Set(["MATCH", "INSUBNET", "INACTIVELIST", "EXISTS"])

/** A field name the event model knows, or an Extra entry. */
const isFieldName = (name: string): boolean => isEventFieldName(name) || (name.startsWith("Extra.") && name.length > "Extra.".length)

/**
 * Parses one filter expression (OR of ANDs of NOT-able conditions) at the cursor and leaves the
 * cursor on the first token after it; throws FilterSyntaxError.
 */
export const parseFilterExpression = (cursor: FilterCursor, options: FilterSyntaxOptions = {}): Filter => {
  const allowVariables = options.variables ?? true
  const allowActiveLists = options.activeLists ?? true

  const subject = (expected: string): string => {
    const token = cursor.next()
    if (token.kind === "variable") {
      if (!allowVariables) cursor.fail(token.at, "an event field (variables are not available here)", cursor.describe(token))
      return `$${token.name}`
    }
    if ((token.kind === "word" && !Reserved.has(token.text.toUpperCase())) || token.kind === "identifier") {
      if (!isFieldName(token.text)) cursor.fail(token.at, "an event field", cursor.describe(token))
      return token.text
    }
    return cursor.fail(token.at, expected, cursor.describe(token))
  }
  const literal = (): string | number => {
    const token = cursor.next()
    if (token.kind === "string") return token.text
    if (token.kind === "number") return token.value
    return cursor.fail(token.at, LiteralExpected, cursor.describe(token))
  }
  const operand = (): string | number | { readonly variable: string } => {
    const token = cursor.peek()
    if (token.kind === "variable") {
      cursor.next()
      if (!allowVariables) cursor.fail(token.at, `${LiteralExpected} (variables are not available here)`, cursor.describe(token))
      return { variable: token.name }
    }
    if (token.kind !== "string" && token.kind !== "number") cursor.fail(token.at, allowVariables ? OperandExpected : LiteralExpected, cursor.describe(token))
    return literal()
  }
  const quoted = (expected: string): { readonly text: string; readonly at: number } => {
    const token = cursor.next()
    if (token.kind !== "string") return cursor.fail(token.at, expected, cursor.describe(token))
    return token
  }
  /** After a list item: true for ',', false for ')'. */
  const more = (): boolean => {
    const token = cursor.next()
    if (cursor.isSymbol(token, ",")) return true
    if (cursor.isSymbol(token, ")")) return false
    return cursor.fail(token.at, "',' or ')'", cursor.describe(token))
  }

  const predicate = (): Filter => {
    const field = subject(ConditionStart)
    let token = cursor.next()
    if (token.kind === "symbol") {
      const op = Comparisons.get(token.text)
      if (op === undefined) return cursor.fail(token.at, OperatorExpected, cursor.describe(token))
      return { field, op, value: operand() }
    }
    let negated = false
    if (cursor.isKeyword(token, "NOT")) {
      negated = true
      token = cursor.next()
      if (!["IN", "LIKE", ...TextOperators.keys()].some((keyword) => cursor.isKeyword(token, keyword))) {
        return cursor.fail(token.at, NegatedOperatorExpected, cursor.describe(token))
      }
    }
    const condition = ((): Filter => {
      if (cursor.isKeyword(token, "IN")) {
        cursor.expectSymbol("(")
        const values: Array<string | number> = []
        if (cursor.isSymbol(cursor.peek(), ")")) cursor.next()
        else do values.push(literal())
        while (more())
        return { field, op: "in", values }
      }
      if (cursor.isKeyword(token, "LIKE")) {
        const patternToken = cursor.peek()
        if (patternToken.kind !== "string") return cursor.fail(patternToken.at, "a quoted LIKE pattern", cursor.describe(patternToken))
        cursor.next()
        const pattern = patternToken.text
        const inner = pattern.replace(/^%/, "").replace(/%$/, "")
        if (inner.includes("%") || inner.includes("_")) return cursor.fail(patternToken.at, "a pattern with % only at its ends", cursor.describe(patternToken))
        const starts = pattern.startsWith("%")
        const ends = pattern.endsWith("%") && pattern.length > 1
        return { field, op: starts && ends ? "contains" : starts ? "endsWith" : ends ? "startsWith" : "=", value: inner }
      }
      if (cursor.isKeyword(token, "IS")) {
        const not = cursor.isKeyword(cursor.peek(), "NOT")
        if (not) cursor.next()
        cursor.expectKeyword("NULL")
        const exists: Filter = { field, op: "exists" }
        return not ? exists : { not: exists }
      }
      const textOp = token.kind === "word" ? TextOperators.get(token.text.toUpperCase()) : undefined
      if (textOp !== undefined) return { field, op: textOp, value: operand() }
      return cursor.fail(token.at, OperatorExpected, cursor.describe(token))
    })()
    return negated ? { not: condition } : condition
  }

  const call = (name: string, at: number): Filter => {
    cursor.expectSymbol("(")
    switch (name) {
      case "EXISTS": {
        const field = subject("a field or a variable")
        cursor.expectSymbol(")")
        return { field, op: "exists" }
      }
      case "MATCH": {
        const field = subject("a field or a variable")
        cursor.expectSymbol(",")
        const pattern = quoted("a quoted regular expression")
        try {
          RE2JS.compile(pattern.text)
        } catch (error) {
          if (!(error instanceof RE2JSException)) throw error
          cursor.fail(pattern.at, "a valid RE2 regular expression", `'${pattern.text}' (${error.message})`)
        }
        cursor.expectSymbol(")")
        return { field, op: "match", pattern: pattern.text }
      }
      case "INSUBNET": {
        const field = subject("a field or a variable")
        cursor.expectSymbol(",")
        const cidrs: Array<string> = []
        do {
          const cidr = quoted("a quoted CIDR range")
          const parsed = IpAddress.parseCidr(cidr.text)
          if (Either.isLeft(parsed)) cursor.fail(cidr.at, "a CIDR range such as '10.0.0.0/8' or 'fd00::/8'", `'${cidr.text}' (${parsed.left})`)
          cidrs.push(cidr.text)
        } while (more())
        return { field, op: "inSubnet", cidrs: [cidrs[0]!, ...cidrs.slice(1)] }
      }
      default: {
        if (!allowActiveLists) cursor.fail(at, `${ConditionStart} (active lists are not available here)`, "inActiveList")
        const list = quoted("a quoted active list name")
        if (list.text === "") cursor.fail(list.at, "a quoted active list name", "''")
        const keyFields: Array<string> = []
        cursor.expectSymbol(",")
        do keyFields.push(subject("a field or a variable"))
        while (more())
        return { op: "inActiveList", list: list.text, keyFields: [keyFields[0]!, ...keyFields.slice(1)] }
      }
    }
  }

  const unary = (depth: number): Filter => {
    const token = cursor.peek()
    if (depth > MaxNesting) return cursor.fail(token.at, `at most ${MaxNesting} nested NOTs and parentheses`, cursor.describe(token))
    if (cursor.isKeyword(token, "NOT")) {
      cursor.next()
      return { not: unary(depth + 1) }
    }
    if (cursor.isSymbol(token, "(")) {
      cursor.next()
      const inner = or(depth + 1)
      cursor.expectSymbol(")")
      return inner
    }
    if (cursor.isKeyword(token, "TRUE")) {
      cursor.next()
      return { and: [] }
    }
    if (cursor.isKeyword(token, "FALSE")) {
      cursor.next()
      return { or: [] }
    }
    if (token.kind === "word" && Functions.has(token.text.toUpperCase()) && cursor.isSymbol(cursor.peek(1), "(")) {
      cursor.next()
      return call(token.text.toUpperCase(), token.at)
    }
    return predicate()
  }
  const and = (depth: number): Filter => {
    const parts = [unary(depth)]
    while (cursor.isKeyword(cursor.peek(), "AND")) {
      cursor.next()
      parts.push(unary(depth))
    }
    return parts.length === 1 ? parts[0]! : { and: parts }
  }
  const or = (depth: number): Filter => {
    const parts = [and(depth)]
    while (cursor.isKeyword(cursor.peek(), "OR")) {
      cursor.next()
      parts.push(and(depth))
    }
    return parts.length === 1 ? parts[0]! : { or: parts }
  }
  return or(0)
}

// Binding strength of a printed node: OR 1, AND 2, NOT 3, a condition 4.
const levelOf = (filter: Filter): number => {
  if ("and" in filter) return filter.and.length === 0 ? 4 : filter.and.length === 1 ? levelOf(filter.and[0]!) : 2
  if ("or" in filter) return filter.or.length === 0 ? 4 : filter.or.length === 1 ? levelOf(filter.or[0]!) : 1
  if ("not" in filter) return 3
  return 4
}

const formatString = (text: string): string => `'${text.replaceAll("'", "''")}'`

/** Numbers print as the tokenizer reads them; NaN prints as text, which compares the same way. */
const formatNumber = (value: number): string =>
  Number.isNaN(value) ? "'NaN'" : value === Infinity ? "1e999" : value === -Infinity ? "-1e999" : String(value)

const formatScalar = (value: string | number): string => (typeof value === "number" ? formatNumber(value) : formatString(value))

const formatField = (field: string): string =>
  PlainVariable.test(field) || (PlainWord.test(field) && !Reserved.has(field.toUpperCase())) ? field : `"${field.replaceAll('"', '""')}"`

/** Prints a filter as text that parseFilter reads back to an equivalent tree. */
export const formatFilter = (filter: Filter): string => {
  if ("and" in filter) {
    if (filter.and.length === 0) return "TRUE"
    if (filter.and.length === 1) return formatFilter(filter.and[0]!)
    return filter.and.map((part) => (levelOf(part) <= 2 ? `(${formatFilter(part)})` : formatFilter(part))).join(" AND ")
  }
  if ("or" in filter) {
    if (filter.or.length === 0) return "FALSE"
    if (filter.or.length === 1) return formatFilter(filter.or[0]!)
    return filter.or.map((part) => (levelOf(part) <= 1 ? `(${formatFilter(part)})` : formatFilter(part))).join(" OR ")
  }
  if ("not" in filter) return levelOf(filter.not) < 3 ? `NOT (${formatFilter(filter.not)})` : `NOT ${formatFilter(filter.not)}`
  switch (filter.op) {
    case "exists":
      return `exists(${formatField(filter.field)})`
    case "in":
      return `${formatField(filter.field)} IN (${filter.values.map(formatScalar).join(", ")})`
    case "match":
      return `match(${formatField(filter.field)}, ${formatString(filter.pattern)})`
    case "inSubnet":
      return `inSubnet(${formatField(filter.field)}, ${filter.cidrs.map(formatString).join(", ")})`
    case "inActiveList":
      return `inActiveList(${formatString(filter.list)}, ${filter.keyFields.map(formatField).join(", ")})`
    default: {
      const value = typeof filter.value === "object" ? `$${filter.value.variable}` : formatScalar(filter.value)
      return `${formatField(filter.field)} ${filter.op} ${value}`
    }
  }
}
