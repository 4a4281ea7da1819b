// What the engine emits when a rule fires: the correlation event plus the routing facts the
// alert service needs (which correlator, rule and group made it).
import type { NormalizedEvent } from "../model/Event.ts"
import type { CorrelatorId, RuleId } from "../model/Ids.ts"

/** One firing of a rule for one group. */
export interface Correlation {
  readonly correlatorId: CorrelatorId
  readonly ruleId: RuleId
  readonly groupKey: string
  readonly event: NormalizedEvent
}
