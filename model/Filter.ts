// The filter language's tree, shared by rule selectors and event search (SPEC §4): comparisons,
// in, contains, startsWith, endsWith, regular-expression match (RE2), inSubnet, inActiveList,
// exists, with and/or/not. A field position may name a variable (`$name`) instead of a field,
// and a value may be a variable reference.
import { Schema } from "effect"

/** A reference to a local (rule) or global (correlator) variable. */
export const VariableRef = Schema.Struct({ variable: Schema.String.pipe(Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]*$/)) })
export type VariableRef = typeof VariableRef.Type

const Scalar = Schema.Union(Schema.String, Schema.Number)
const Operand = Schema.Union(Schema.String, Schema.Number, VariableRef)

/**
 * What a condition reads: an event field name (`SourceAddress`, `Extra.key` for an Extra entry)
 * or a variable (`$name`).
 */
const Subject = Schema.String

/**
 * A comparison of a field with a constant or a variable. The field's type decides: a numeric field
 * compares numerically (the constant '080' is 80; '' and ' ' are not numbers, so never equal), a
 * text field compares as text (4625 is '4625'). A missing field satisfies only `!=`. contains,
 * startsWith and endsWith are case-sensitive and never hold on numbers.
 */
export const Comparison = Schema.Struct({
  field: Subject,
  op: Schema.Literal("=", "!=", "<", "<=", ">", ">=", "contains", "startsWith", "endsWith"),
  value: Operand
})
/** Field value is one of a set of constants, compared as `=` compares; an empty set holds for nothing. */
export const InSet = Schema.Struct({
  field: Subject,
  op: Schema.Literal("in"),
  values: Schema.Array(Scalar)
})
/** Field is present and not empty (0 exists; "" and an empty list do not). */
export const Exists = Schema.Struct({
  field: Subject,
  op: Schema.Literal("exists")
})
/**
 * Field matches a regular expression with RE2 semantics (linear time; no backreferences or
 * lookaround). It searches anywhere in the text unless anchored with `^`/`$`; `(?i)` ignores case.
 */
export const Match = Schema.Struct({
  field: Subject,
  op: Schema.Literal("match"),
  pattern: Schema.String
})
/**
 * Field is an IPv4 or IPv6 address inside one of the CIDR ranges; an IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.1`) is inside IPv4 ranges. A range with bits set after its prefix is invalid.
 */
export const InSubnet = Schema.Struct({
  field: Subject,
  op: Schema.Literal("inSubnet"),
  cidrs: Schema.NonEmptyArray(Schema.String)
})
/**
 * The key built from `keyFields` (values joined by `|`, a missing value as empty text) is a live
 * record of the active list. Only where the host has active lists (rules, not event search).
 */
export const InActiveList = Schema.Struct({
  op: Schema.Literal("inActiveList"),
  list: Schema.NonEmptyString,
  keyFields: Schema.NonEmptyArray(Subject)
})

export interface And { readonly and: ReadonlyArray<Filter> }
export interface Or { readonly or: ReadonlyArray<Filter> }
export interface Not { readonly not: Filter }
export type Condition =
  | typeof Comparison.Type
  | typeof InSet.Type
  | typeof Exists.Type
  | typeof Match.Type
  | typeof InSubnet.Type
  | typeof InActiveList.Type
export type Filter = Condition | And | Or | Not

/** The filter tree as a schema (recursive). */
export const Filter: Schema.Schema<Filter> = Schema.Union(
  Comparison,
  InSet,
  Exists,
  Match,
  InSubnet,
  InActiveList,
  Schema.Struct({ and: Schema.Array(Schema.suspend(() => Filter)) }),
  Schema.Struct({ or: Schema.Array(Schema.suspend(() => Filter)) }),
  Schema.Struct({ not: Schema.suspend(() => Filter) })
)

/** The filter that matches everything. */
export const MatchAll: Filter = { and: [] }
