// The tenant-level actor of one correlator: it owns the rule actors and is the only entry point
// for events and clock ticks. Pure and deterministic: no I/O, no wall clock.
import type { NormalizedEvent } from "../model/Event.ts"
import type { CorrelatorSpec } from "../model/Rule.ts"
import type { Correlation } from "./Correlation.ts"
import { StandardRuleActor } from "./StandardRuleActor.ts"

export class CorrelatorEngine {
  private readonly rules: ReadonlyArray<StandardRuleActor>
  private watermark = Number.NEGATIVE_INFINITY

  /** Compiles every rule; throws InvalidRule for the first rule that does not compile. */
  constructor(readonly spec: CorrelatorSpec) {
    this.rules = spec.rules.map((rule) => new StandardRuleActor(spec, rule))
  }

  /** Feeds a batch of events in stream order and returns the correlations they caused. */
  processBatch(events: ReadonlyArray<NormalizedEvent>): Array<Correlation> {
    const out: Array<Correlation> = []
    const rules = this.rules
    for (let e = 0; e < events.length; e++) {
      const event = events[e]!
      for (let r = 0; r < rules.length; r++) rules[r]!.process(event, out)
      if (event.Timestamp > this.watermark) this.watermark = event.Timestamp
    }
    return out
  }

  /** Advances stream time: groups whose window ended are passivated. */
  advanceTo(now: number): void {
    for (const rule of this.rules) rule.advanceTo(now)
  }

  /** The latest event time seen. */
  get streamTime(): number {
    return this.watermark
  }

  /** Live group actors across rules. */
  get liveGroups(): number {
    let total = 0
    for (const rule of this.rules) total += rule.liveGroups
    return total
  }
}
