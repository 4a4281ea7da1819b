// The filter language's tree, shared by rule selectors and event search (SPEC §4).
// This is a first subset: comparisons, in, contains, startsWith, endsWith, exists, and/or/not.
import { Schema } from "effect"

const Scalar = Schema.Union(Schema.String, Schema.Number)

/** A comparison of one event field with a constant. */
export const Comparison = Schema.Struct({
  field: Schema.String,
  op: Schema.Literal("=", "!=", "<", "<=", ">", ">=", "contains", "startsWith", "endsWith"),
  value: Scalar
})
/** Field value is one of a set. */
export const InSet = Schema.Struct({
  field: Schema.String,
  op: Schema.Literal("in"),
  values: Schema.Array(Scalar)
})
/** Field is present and not empty. */
export const Exists = Schema.Struct({
  field: Schema.String,
  op: Schema.Literal("exists")
})

export interface And { readonly and: ReadonlyArray<Filter> }
export interface Or { readonly or: ReadonlyArray<Filter> }
export interface Not { readonly not: Filter }
export type Filter = typeof Comparison.Type | typeof InSet.Type | typeof Exists.Type | And | Or | Not

/** The filter tree as a schema (recursive). */
export const Filter: Schema.Schema<Filter> = Schema.Union(
  Comparison,
  InSet,
  Exists,
  Schema.Struct({ and: Schema.Array(Schema.suspend(() => Filter)) }),
  Schema.Struct({ or: Schema.Array(Schema.suspend(() => Filter)) }),
  Schema.Struct({ not: Schema.suspend(() => Filter) })
)

/** The filter that matches everything. */
export const MatchAll: Filter = { and: [] }
