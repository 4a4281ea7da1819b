// What the engine emits: correlation events with the routing facts downstream needs (which
// correlator, rule and group made it; whether it makes an alert; where else it goes), and
// service events (active-list expiry) that the engine also fed to its own rules.
import type { NormalizedEvent } from "../model/Event.ts"
import type { CorrelatorId, RuleId } from "../model/Ids.ts"
import type { Trigger } from "../model/Rule.ts"

/** One firing of a rule for one group. */
export interface Correlation {
  readonly correlatorId: CorrelatorId
  readonly ruleId: RuleId
  readonly groupKey: string
  readonly trigger: Trigger
  readonly event: NormalizedEvent
  /** False when the action said "no alert". */
  readonly createAlert: boolean
  /** Other correlators the event is sent to. */
  readonly sendTo: ReadonlyArray<CorrelatorId>
}

/** What one call into the engine produced, in order. */
export interface EngineOutput {
  readonly correlations: Array<Correlation>
  readonly serviceEvents: Array<NormalizedEvent>
}
