// Correlation rules and correlators as resources (SPEC §4): simple, standard and operational
// rules with selectors, thresholds, recovery, identical and unique fields, windows, rate limits,
// triggers and their actions, variables, and the correlator's active lists.
import { Schema } from "effect"
import { Filter } from "./Filter.ts"
import { CollectorId, CorrelatorId, RuleId, TenantId } from "./Ids.ts"

const optional = <S extends Schema.Schema.Any>(schema: S) => Schema.optionalWith(schema, { exact: true })
const withDefault = <S extends Schema.Schema.AnyNoContext>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { exact: true, default: value })

const Name = Schema.String.pipe(Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]*$/))
/** An event field, `Extra.<key>`, or a variable `$name`, as in filters. */
const FieldRef = Schema.NonEmptyString

/** How a variable gets its value from the event being processed. */
export const VariableExpr = Schema.Union(
  Schema.Struct({ constant: Schema.Union(Schema.String, Schema.Number) }),
  Schema.Struct({ field: FieldRef }),
  /** `{{.SourceAddress}}:{{.SourcePort}}`: fields between `{{.` and `}}` are substituted. */
  Schema.Struct({ template: Schema.String })
)
export type VariableExpr = typeof VariableExpr.Type

/** One selector: events it matches count towards its threshold in the event's bucket. */
export const Selector = Schema.Struct({
  name: optional(Schema.String),
  filter: Filter,
  threshold: withDefault(Schema.Int.pipe(Schema.positive()), () => 1),
  /** A recovery event resets the bucket without firing. */
  recovery: withDefault(Schema.Boolean, () => false)
})
export type Selector = typeof Selector.Type

export const Trigger = Schema.Literal("onEveryEvent", "onFirstThreshold", "onSubsequentThresholds", "onTimeout")
export type Trigger = typeof Trigger.Type

/** One field of an active-list record and where its value comes from or goes to. */
export const ListFieldMapping = Schema.Struct({
  listField: Schema.NonEmptyString,
  /** set: the event field copied into the record; get: the event field the record value is copied to. */
  eventField: optional(FieldRef),
  /** set only: a constant stored in the record. */
  constant: optional(Schema.String)
})
export type ListFieldMapping = typeof ListFieldMapping.Type

/** An active-list operation; the key is the key fields' values joined by `|`. */
export const ActiveListAction = Schema.Struct({
  op: Schema.Literal("get", "set", "delete"),
  list: Schema.NonEmptyString,
  keyFields: Schema.NonEmptyArray(FieldRef),
  mapping: withDefault(Schema.Array(ListFieldMapping), () => [])
})
export type ActiveListAction = typeof ActiveListAction.Type

/** Sets a field of the correlation event. */
export const Enrichment = Schema.Struct({
  target: Schema.NonEmptyString,
  source: VariableExpr
})
export type Enrichment = typeof Enrichment.Type

/** What a rule does when a trigger happens. */
export const Action = Schema.Struct({
  trigger: Trigger,
  /** Create the correlation event (output). */
  correlationEvent: withDefault(Schema.Boolean, () => true),
  /** Feed the correlation event back into this correlator. */
  loop: withDefault(Schema.Boolean, () => false),
  /** Send the correlation event to these correlators. */
  sendTo: withDefault(Schema.Array(CorrelatorId), () => []),
  /** Create no alert for the correlation event. */
  noAlert: withDefault(Schema.Boolean, () => false),
  activeLists: withDefault(Schema.Array(ActiveListAction), () => []),
  enrichment: withDefault(Schema.Array(Enrichment), () => [])
})
export type Action = typeof Action.Type

const common = {
  id: RuleId,
  name: Schema.NonEmptyString,
  description: optional(Schema.String),
  /** Alert priority 1..16 (1-4 low, 5-8 medium, 9-12 high, 13-16 critical). */
  priority: withDefault(Schema.Int.pipe(Schema.between(1, 16)), () => 5),
  /** Most firings per second of stream time; 0 means no limit. */
  rateLimit: withDefault(Schema.Int.pipe(Schema.nonNegative()), () => 0),
  /** Local variables, computed per event, usable as `$name` in filters and enrichment. */
  variables: withDefault(Schema.Record({ key: Name, value: VariableExpr }), () => ({}))
}

/** Acts on every event its one selector matches. */
export const SimpleRule = Schema.Struct({
  kind: Schema.Literal("simple"),
  ...common,
  selector: Selector,
  actions: withDefault(Schema.Array(Action), () => [Schema.decodeSync(Action)({ trigger: "onEveryEvent" })])
})
export type SimpleRule = typeof SimpleRule.Type

/** Fires when every non-recovery selector reached its threshold within the window of one bucket. */
export const StandardRule = Schema.Struct({
  kind: Schema.Literal("standard"),
  ...common,
  selectors: Schema.NonEmptyArray(Selector),
  identicalFields: withDefault(Schema.Array(FieldRef), () => []),
  uniqueFields: withDefault(Schema.Array(FieldRef), () => []),
  /** At most 23 days: buckets keep event times as 32-bit millisecond offsets in their window. */
  windowSeconds: Schema.Int.pipe(Schema.between(1, 2_000_000)),
  actions: withDefault(Schema.Array(Action), () => [Schema.decodeSync(Action)({ trigger: "onFirstThreshold" })])
})
export type StandardRule = typeof StandardRule.Type

/** Acts on active lists for every event its selector matches; makes no correlation events. */
export const OperationalRule = Schema.Struct({
  kind: Schema.Literal("operational"),
  ...common,
  selector: Selector,
  activeLists: Schema.NonEmptyArray(ActiveListAction)
})
export type OperationalRule = typeof OperationalRule.Type

/** Any rule. */
export const Rule = Schema.Union(SimpleRule, StandardRule, OperationalRule)
export type Rule = typeof Rule.Type

/** An active list of a correlator: key -> record, each record living `ttlSeconds` (0: forever). */
export const ActiveListSpec = Schema.Struct({
  name: Schema.NonEmptyString,
  ttlSeconds: withDefault(Schema.Int.pipe(Schema.nonNegative()), () => 0)
})
export type ActiveListSpec = typeof ActiveListSpec.Type

/** Where a correlator takes events from: a tenant's collectors, or one collector of it. */
export const CorrelatorSource = Schema.Struct({
  tenantId: TenantId,
  collectorId: optional(CollectorId)
})
export type CorrelatorSource = typeof CorrelatorSource.Type

/** A correlator service: its owner tenant owns every correlation event and alert it makes. */
export const CorrelatorSpec = Schema.Struct({
  id: CorrelatorId,
  tenantId: TenantId,
  name: Schema.NonEmptyString,
  sources: Schema.NonEmptyArray(CorrelatorSource),
  rules: Schema.Array(Rule),
  activeLists: withDefault(Schema.Array(ActiveListSpec), () => []),
  /** Global variables, usable as `$name` by every rule (a rule's local variable wins). */
  globalVariables: withDefault(Schema.Record({ key: Name, value: VariableExpr }), () => ({}))
})
export type CorrelatorSpec = typeof CorrelatorSpec.Type
