// The rule actor of a standard rule: one compact group state per live group key. It is a plain
// state machine driven by its correlator; time comes only from the events and explicit ticks.
import { compileFilter, type EventPredicate } from "../model/FilterCompiler.ts"
import { isEventFieldName, type EventFieldName, type NormalizedEvent } from "../model/Event.ts"
import type { CorrelatorSpec, StandardRule } from "../model/Rule.ts"
import type { Correlation } from "./Correlation.ts"
import { buildCorrelationEvent } from "./CorrelationEventBuilder.ts"
import { groupKeyOf } from "./GroupKey.ts"

/** Base event IDs kept per firing; the count keeps going past it. */
export const MaxBaseEventIds = 1_000

interface GroupState {
  readonly windowStartsAt: number
  readonly windowEndsAt: number
  readonly counts: Array<number>
  readonly baseEventIds: Array<string>
  baseEventCount: number
  startTime: number
  endTime: number
  lastEvent: NormalizedEvent
}

/** Raised when a rule cannot be compiled; carries the field path and the reason. */
export class InvalidRule extends Error {
  readonly _tag = "InvalidRule"
  constructor(readonly ruleId: string, readonly path: string, readonly reason: string) {
    super(`rule ${ruleId}: ${path}: ${reason}`)
  }
}

export class StandardRuleActor {
  private readonly groups = new Map<string, GroupState>()
  private readonly predicates: ReadonlyArray<EventPredicate>
  private readonly thresholds: ReadonlyArray<number>
  private readonly identicalFields: ReadonlyArray<EventFieldName>
  private readonly windowMillis: number

  constructor(private readonly correlator: CorrelatorSpec, readonly rule: StandardRule) {
    this.predicates = rule.selectors.map((selector, index) => {
      try {
        return compileFilter(selector.filter)
      } catch (cause) {
        throw new InvalidRule(rule.id, `selectors[${index}].filter`, String((cause as Error).message))
      }
    })
    this.thresholds = rule.selectors.map((selector) => selector.threshold)
    this.identicalFields = rule.identicalFields.map((field, index) => {
      if (!isEventFieldName(field)) throw new InvalidRule(rule.id, `identicalFields[${index}]`, `unknown event field '${field}'`)
      return field
    })
    this.windowMillis = rule.windowSeconds * 1000
  }

  /** Number of live groups (group actors) of this rule. */
  get liveGroups(): number {
    return this.groups.size
  }

  /** Feeds one event; appends a correlation to `out` when a group reaches a full match. */
  process(event: NormalizedEvent, out: Array<Correlation>): void {
    const predicates = this.predicates
    for (let selector = 0; selector < predicates.length; selector++) {
      if (!predicates[selector]!(event)) continue
      this.count(event, selector, out)
    }
  }

  /** Passivates groups whose window ended at or before `now` (stream time). */
  advanceTo(now: number): void {
    for (const [groupKey, group] of this.groups) {
      if (group.windowEndsAt <= now) this.groups.delete(groupKey)
    }
  }

  private count(event: NormalizedEvent, selector: number, out: Array<Correlation>): void {
    const groupKey = groupKeyOf(event, this.identicalFields)
    const time = event.Timestamp
    let group = this.groups.get(groupKey)
    if (group !== undefined && time >= group.windowEndsAt) {
      this.groups.delete(groupKey)
      group = undefined
    }
    if (group === undefined) {
      // The window opens at the group's first event.
      group = {
        windowStartsAt: time,
        windowEndsAt: time + this.windowMillis,
        counts: new Array<number>(this.thresholds.length).fill(0),
        baseEventIds: [],
        baseEventCount: 0,
        startTime: time,
        endTime: time,
        lastEvent: event
      }
      this.groups.set(groupKey, group)
    }
    group.counts[selector]!++
    group.baseEventCount++
    if (group.baseEventIds.length < MaxBaseEventIds) group.baseEventIds.push(event.ID)
    if (time < group.startTime) group.startTime = time
    if (time > group.endTime) group.endTime = time
    group.lastEvent = event
    if (!this.isFullMatch(group)) return
    // A full match fires and clears the group.
    this.groups.delete(groupKey)
    out.push({
      correlatorId: this.correlator.id,
      ruleId: this.rule.id,
      groupKey,
      event: buildCorrelationEvent(this.correlator, this.rule, this.identicalFields, { ...group, groupKey })
    })
  }

  private isFullMatch(group: GroupState): boolean {
    const thresholds = this.thresholds
    for (let i = 0; i < thresholds.length; i++) if (group.counts[i]! < thresholds[i]!) return false
    return true
  }
}
