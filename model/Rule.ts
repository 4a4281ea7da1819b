// Correlation rules and correlators as resources (SPEC §4). This first subset has standard
// rules with selectors, thresholds, identical fields and a window; issue 3 grows the rest.
import { Schema } from "effect"
import { Filter } from "./Filter.ts"
import { CollectorId, CorrelatorId, RuleId, TenantId } from "./Ids.ts"

/** One selector of a standard rule: events it matches count towards its threshold. */
export const Selector = Schema.Struct({
  name: Schema.optionalWith(Schema.String, { exact: true }),
  filter: Filter,
  threshold: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { exact: true, default: () => 1 })
})
export type Selector = typeof Selector.Type

/** A standard rule fires when every selector reached its threshold within the window of one group. */
export const StandardRule = Schema.Struct({
  kind: Schema.Literal("standard"),
  id: RuleId,
  name: Schema.NonEmptyString,
  selectors: Schema.NonEmptyArray(Selector),
  identicalFields: Schema.optionalWith(Schema.Array(Schema.String), { exact: true, default: () => [] }),
  windowSeconds: Schema.Int.pipe(Schema.positive()),
  /** Alert priority 1..16 (1-4 low, 5-8 medium, 9-12 high, 13-16 critical). */
  priority: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 16)), { exact: true, default: () => 5 })
})
export type StandardRule = typeof StandardRule.Type

/** Any rule. */
export const Rule = StandardRule
export type Rule = StandardRule

/** Where a correlator takes events from: a tenant's collectors, or one collector of it. */
export const CorrelatorSource = Schema.Struct({
  tenantId: TenantId,
  collectorId: Schema.optionalWith(CollectorId, { exact: true })
})
export type CorrelatorSource = typeof CorrelatorSource.Type

/** A correlator service: its owner tenant owns every correlation event and alert it makes. */
export const CorrelatorSpec = Schema.Struct({
  id: CorrelatorId,
  tenantId: TenantId,
  name: Schema.NonEmptyString,
  sources: Schema.NonEmptyArray(CorrelatorSource),
  rules: Schema.Array(Rule)
})
export type CorrelatorSpec = typeof CorrelatorSpec.Type
