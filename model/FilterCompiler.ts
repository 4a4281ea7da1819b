// Compiles a filter tree (SPEC §4) into a plain predicate once: fields, constants, patterns and
// CIDR ranges are resolved here, so comparisons, in, exists and inSubnet allocate nothing per event.
import { Either } from "effect"
import { RE2JS, RE2JSException } from "re2js"
import { EventFieldKinds, isEventFieldName, type EventFieldName, type NormalizedEvent } from "./Event.ts"
import type { Comparison, Condition, Filter, InSet } from "./Filter.ts"
import * as IpAddress from "./filter/IpAddress.ts"

/** A compiled filter. */
export type EventPredicate = (event: NormalizedEvent) => boolean

/** Where inActiveList looks up keys: the correlator's active lists, live records only. */
export interface ActiveListLookup {
  readonly has: (list: string, key: string) => boolean
}

export interface FilterCompileOptions {
  /** Readers of variables by name ($name); a variable not here is a compile error. */
  readonly variables?: ReadonlyMap<string, (event: NormalizedEvent) => unknown>
  /** Where inActiveList looks; without it inActiveList is a compile error (e.g. in event search). */
  readonly activeLists?: ActiveListLookup
}

/** Raised at compile time for a filter that names an unknown field; `path` locates it in the tree. */
export class UnknownField extends Error {
  readonly _tag = "UnknownField"
  constructor(readonly field: string, readonly path: string = "field") {
    super(`${path}: unknown event field '${field}'`)
  }
}

/** Raised at compile time for any other fault: a bad pattern, CIDR or variable, a missing service. */
export class InvalidFilter extends Error {
  readonly _tag = "InvalidFilter"
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`)
  }
}

/** Everything compileFilter throws. */
export type FilterCompileError = UnknownField | InvalidFilter

/** Joins the parts of an active-list key, as SPEC §4 composes keys. */
export const ActiveListKeySeparator = "|"

type Scalar = string | number
type ValueTest = (value: unknown) => boolean
type Reader = (event: NormalizedEvent) => unknown

/** What a condition reads, resolved once. */
type Subject =
  | { readonly kind: "scalar"; readonly name: EventFieldName; readonly numeric: boolean }
  | { readonly kind: "list"; readonly name: EventFieldName }
  | { readonly kind: "map"; readonly name: EventFieldName }
  | { readonly kind: "extra"; readonly key: string }
  | { readonly kind: "variable"; readonly read: Reader }

const NumericText = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/
const VariableName = /^[A-Za-z_][A-Za-z0-9_]*$/

/** A value as a number when it is one or reads as one; NaN otherwise (`""` and `" "` are not 0). */
export const numericValue = (value: unknown): number =>
  typeof value === "number" ? value : typeof value === "string" && NumericText.test(value) ? Number(value) : NaN

/**
 * Orders `actual` against a constant pre-resolved as text and as a number. The result is NaN when
 * the two do not compare (missing value, number against non-numeric text), which makes every
 * ordering test false and `!=` true.
 */
const orderAgainst = (actual: unknown, text: string, number: number): number => {
  if (typeof actual === "string") return actual === text ? 0 : actual < text ? -1 : 1
  if (typeof actual === "number") return actual === number ? 0 : actual < number ? -1 : actual > number ? 1 : NaN
  return NaN
}

/** Orders `actual` against a value only known per event (a variable). */
const orderDynamic = (actual: unknown, expected: unknown): number => {
  if (typeof expected === "string") return orderAgainst(actual, expected, numericValue(expected))
  if (typeof expected === "number") {
    // Text against a number compares as text, like a constant; only this case allocates.
    if (typeof actual === "string") return orderAgainst(actual, String(expected), expected)
    return orderAgainst(actual, "", expected)
  }
  return NaN
}

type OrderOp = "=" | "!=" | "<" | "<=" | ">" | ">="
const holds: { readonly [Op in OrderOp]: (order: number) => boolean } = {
  "=": (order) => order === 0,
  "!=": (order) => order !== 0,
  "<": (order) => order < 0,
  "<=": (order) => order <= 0,
  ">": (order) => order > 0,
  ">=": (order) => order >= 0
}

const isPresent = (value: unknown): boolean => {
  if (value === undefined || value === null || value === "") return false
  if (Array.isArray(value)) return value.length > 0
  if (typeof value === "object") {
    for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return true
    return false
  }
  return true
}

/** The text of one key part: missing parts are empty, so `a|` is the key of ("a", missing). */
const keyPart = (value: unknown): string =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : value === undefined || value === null ? "" : JSON.stringify(value)

const child = (path: string, step: string): string => (path === "" ? step : `${path}.${step}`)

const alwaysTrue: EventPredicate = () => true
const alwaysFalse: EventPredicate = () => false

/** Compiles `filter`; throws UnknownField or InvalidFilter (with the path in the tree) when it cannot run. */
export const compileFilter = (filter: Filter, options: FilterCompileOptions = {}): EventPredicate =>
  compileNode(filter, "", options)

const compileNode = (filter: Filter, path: string, options: FilterCompileOptions): EventPredicate => {
  if (typeof filter !== "object" || filter === null) throw new InvalidFilter(path, "expected a condition or and/or/not")
  if ("and" in filter) {
    const parts = filter.and.map((part, index) => compileNode(part, child(path, `and[${index}]`), options))
    if (parts.length === 0) return alwaysTrue
    if (parts.length === 1) return parts[0]!
    if (parts.length === 2) {
      const [first, second] = parts as [EventPredicate, EventPredicate]
      return (event) => first(event) && second(event)
    }
    return (event) => {
      for (let i = 0; i < parts.length; i++) if (!parts[i]!(event)) return false
      return true
    }
  }
  if ("or" in filter) {
    const parts = filter.or.map((part, index) => compileNode(part, child(path, `or[${index}]`), options))
    if (parts.length === 0) return alwaysFalse
    if (parts.length === 1) return parts[0]!
    return (event) => {
      for (let i = 0; i < parts.length; i++) if (parts[i]!(event)) return true
      return false
    }
  }
  if ("not" in filter) {
    const inner = compileNode(filter.not, child(path, "not"), options)
    return (event) => !inner(event)
  }
  return compileCondition(filter, path, options)
}

const resolveSubject = (field: string, path: string, options: FilterCompileOptions): Subject => {
  if (field.startsWith("$")) {
    const name = field.slice(1)
    if (!VariableName.test(name)) throw new InvalidFilter(path, `'${field}' is not a variable name`)
    const read = options.variables?.get(name)
    if (read === undefined) throw new InvalidFilter(path, `unknown variable $${name}`)
    return { kind: "variable", read }
  }
  if (field.startsWith("Extra.") && field.length > "Extra.".length) return { kind: "extra", key: field.slice("Extra.".length) }
  if (!isEventFieldName(field)) throw new UnknownField(field, path)
  const kind = EventFieldKinds[field]
  if (kind === "strings") return { kind: "list", name: field }
  if (kind === "map") return { kind: "map", name: field }
  return { kind: "scalar", name: field, numeric: kind === "integer" || kind === "number" }
}

const readerOf = (subject: Subject): Reader => {
  switch (subject.kind) {
    case "variable":
      return subject.read
    case "extra": {
      const key = subject.key
      return (event) => {
        const extra = event.Extra
        if (extra === undefined) return undefined
        // Entries are strings and prototype members never are, so `Extra.constructor` stays missing.
        const value: unknown = extra[key]
        return typeof value === "string" ? value : undefined
      }
    }
    default: {
      const name = subject.name
      return (event) => event[name]
    }
  }
}

/** Applies a value test to a subject; on a list field it holds when any element does. */
const applyTest = (subject: Subject, test: ValueTest): EventPredicate => {
  if (subject.kind === "list") {
    const name = subject.name
    return (event) => {
      const list: unknown = event[name]
      if (!Array.isArray(list)) return false
      for (let i = 0; i < list.length; i++) if (test(list[i])) return true
      return false
    }
  }
  if (subject.kind === "scalar" || subject.kind === "map") {
    const name = subject.name
    return (event) => test(event[name])
  }
  const read = readerOf(subject)
  return (event) => test(read(event))
}

const compileCondition = (condition: Condition, path: string, options: FilterCompileOptions): EventPredicate => {
  switch (condition.op) {
    case "inActiveList":
      return compileInActiveList(condition.list, condition.keyFields, path, options)
    case "exists": {
      const subject = resolveSubject(condition.field, child(path, "field"), options)
      if (subject.kind === "scalar") {
        const name = subject.name
        return (event) => {
          const value = event[name]
          return value !== undefined && value !== ""
        }
      }
      const read = readerOf(subject)
      return (event) => isPresent(read(event))
    }
    case "in":
      return compileIn(condition, resolveSubject(condition.field, child(path, "field"), options))
    case "match":
      return applyTest(resolveSubject(condition.field, child(path, "field"), options), compilePattern(condition.pattern, child(path, "pattern")))
    case "inSubnet":
      return applyTest(resolveSubject(condition.field, child(path, "field"), options), compileSubnets(condition.cidrs, child(path, "cidrs")))
    case "=":
    case "!=":
    case "<":
    case "<=":
    case ">":
    case ">=":
    case "contains":
    case "startsWith":
    case "endsWith":
      return compileComparison(condition, path, options)
    default: {
      const unknown: { readonly op?: unknown } = condition
      throw new InvalidFilter(child(path, "op"), `unknown operator '${String(unknown.op)}'`)
    }
  }
}

const compileComparison = (comparison: typeof Comparison.Type, path: string, options: FilterCompileOptions): EventPredicate => {
  const subject = resolveSubject(comparison.field, child(path, "field"), options)
  const op = comparison.op
  const value = comparison.value
  if (typeof value === "object") {
    const readExpected = resolveSubject(`$${value.variable}`, child(path, "value"), options)
    if (readExpected.kind !== "variable") throw new InvalidFilter(child(path, "value"), "expected a variable")
    return compileDynamicComparison(subject, op, readExpected.read)
  }
  if (op === "contains" || op === "startsWith" || op === "endsWith") {
    const needle = String(value)
    const test: ValueTest =
      op === "contains"
        ? (actual) => typeof actual === "string" && actual.includes(needle)
        : op === "startsWith"
          ? (actual) => typeof actual === "string" && actual.startsWith(needle)
          : (actual) => typeof actual === "string" && actual.endsWith(needle)
    // Text tests never hold on numbers: a port is not a string of digits.
    if (subject.kind === "scalar" && subject.numeric) return alwaysFalse
    return applyTest(subject, test)
  }
  const text = String(value)
  const number = numericValue(value)
  if (subject.kind === "scalar") return compileScalarComparison(subject.name, subject.numeric, op, text, number)
  if (subject.kind === "list" && op === "!=") {
    const equals = applyTest(subject, (actual) => orderAgainst(actual, text, number) === 0)
    return (event) => !equals(event)
  }
  const decide = holds[op]
  return applyTest(subject, (actual) => decide(orderAgainst(actual, text, number)))
}

/** The hot path: a typed event field against a constant, one property read and one comparison. */
const compileScalarComparison = (name: EventFieldName, numeric: boolean, op: OrderOp, text: string, number: number): EventPredicate => {
  if (numeric) {
    switch (op) {
      case "=":
        return Number.isNaN(number) ? alwaysFalse : (event) => event[name] === number
      case "!=":
        return (event) => event[name] !== number
      case "<":
        return (event) => {
          const actual = event[name]
          return typeof actual === "number" && actual < number
        }
      case "<=":
        return (event) => {
          const actual = event[name]
          return typeof actual === "number" && actual <= number
        }
      case ">":
        return (event) => {
          const actual = event[name]
          return typeof actual === "number" && actual > number
        }
      case ">=":
        return (event) => {
          const actual = event[name]
          return typeof actual === "number" && actual >= number
        }
    }
  }
  switch (op) {
    case "=":
      return (event) => event[name] === text
    case "!=":
      return (event) => event[name] !== text
    case "<":
      return (event) => {
        const actual = event[name]
        return typeof actual === "string" && actual < text
      }
    case "<=":
      return (event) => {
        const actual = event[name]
        return typeof actual === "string" && actual <= text
      }
    case ">":
      return (event) => {
        const actual = event[name]
        return typeof actual === "string" && actual > text
      }
    case ">=":
      return (event) => {
        const actual = event[name]
        return typeof actual === "string" && actual >= text
      }
  }
}

const compileDynamicComparison = (subject: Subject, op: typeof Comparison.Type.op, readExpected: Reader): EventPredicate => {
  const test = dynamicTest(op)
  if (subject.kind === "list") {
    const name = subject.name
    // On a list, != means that no element is equal.
    const elementTest = op === "!=" ? dynamicTest("=") : test
    const anyHolds = (event: NormalizedEvent): boolean => {
      const list: unknown = event[name]
      if (!Array.isArray(list)) return false
      const expected = readExpected(event)
      for (let i = 0; i < list.length; i++) if (elementTest(list[i], expected)) return true
      return false
    }
    return op === "!=" ? (event) => !anyHolds(event) : anyHolds
  }
  const readActual = readerOf(subject)
  return (event) => test(readActual(event), readExpected(event))
}

/** A comparison of two values only known per event. */
const dynamicTest = (op: typeof Comparison.Type.op): ((actual: unknown, expected: unknown) => boolean) => {
  if (op === "contains" || op === "startsWith" || op === "endsWith") {
    return (actual, expected) => {
      if (typeof actual !== "string") return false
      const needle = typeof expected === "string" ? expected : typeof expected === "number" ? String(expected) : undefined
      if (needle === undefined) return false
      return op === "contains" ? actual.includes(needle) : op === "startsWith" ? actual.startsWith(needle) : actual.endsWith(needle)
    }
  }
  const decide = holds[op]
  return (actual, expected) => decide(orderDynamic(actual, expected))
}

const compileIn = (condition: typeof InSet.Type, subject: Subject): EventPredicate => {
  // Numbers compare as numbers ('080' is 80), like `=` does; text compares as text.
  const texts = new Set(condition.values.map((value: Scalar) => String(value)))
  const numbers = new Set(condition.values.map(numericValue).filter((value) => !Number.isNaN(value)))
  if (condition.values.length === 0) return alwaysFalse
  if (subject.kind === "scalar") {
    const name = subject.name
    if (subject.numeric) {
      return (event) => {
        const actual = event[name]
        return typeof actual === "number" && numbers.has(actual)
      }
    }
    return (event) => {
      const actual = event[name]
      return typeof actual === "string" && texts.has(actual)
    }
  }
  return applyTest(subject, (actual) =>
    typeof actual === "number" ? numbers.has(actual) : typeof actual === "string" ? texts.has(actual) : false
  )
}

const compilePattern = (pattern: string, path: string): ValueTest => {
  let regex: RE2JS
  try {
    regex = RE2JS.compile(pattern)
  } catch (error) {
    if (error instanceof RE2JSException) throw new InvalidFilter(path, `invalid regular expression: ${error.message}`)
    throw error
  }
  // Unanchored search, like RE2's PartialMatch; `^` and `$` anchor. Text only, never numbers.
  return (actual) => typeof actual === "string" && regex.test(actual)
}

const compileSubnets = (cidrs: ReadonlyArray<string>, path: string): ValueTest => {
  const ranges = cidrs.map((text, index) => {
    const parsed = IpAddress.parseCidr(text)
    if (Either.isLeft(parsed)) throw new InvalidFilter(`${path}[${index}]`, `'${text}' is not a CIDR range: ${parsed.left}`)
    return parsed.right
  })
  // One scratch buffer per compiled condition, reused for every event.
  const words = IpAddress.makeWords()
  return (actual) => {
    if (typeof actual !== "string" || !IpAddress.parseInto(actual, words)) return false
    for (let i = 0; i < ranges.length; i++) if (IpAddress.contains(ranges[i]!, words)) return true
    return false
  }
}

const compileInActiveList = (
  list: string,
  keyFields: ReadonlyArray<string>,
  path: string,
  options: FilterCompileOptions
): EventPredicate => {
  const activeLists = options.activeLists
  if (activeLists === undefined) throw new InvalidFilter(child(path, "list"), "active lists are not available here")
  const readers = keyFields.map((field, index) => readerOf(resolveSubject(field, child(path, `keyFields[${index}]`), options)))
  if (readers.length === 0) throw new InvalidFilter(child(path, "keyFields"), "expected at least one key field")
  if (readers.length === 1) {
    const read = readers[0]!
    return (event) => activeLists.has(list, keyPart(read(event)))
  }
  return (event) => {
    let key = keyPart(readers[0]!(event))
    for (let i = 1; i < readers.length; i++) key += ActiveListKeySeparator + keyPart(readers[i]!(event))
    return activeLists.has(list, key)
  }
}
