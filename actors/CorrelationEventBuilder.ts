// Builds correlation events exactly as SPEC §4 says; the tenant is always the correlator's.
import { EventType, type EventFieldName, type NormalizedEvent } from "../model/Event.ts"
import type { CorrelatorSpec, StandardRule } from "../model/Rule.ts"
import { deterministicId } from "./DeterministicId.ts"

/** The product name stamped on correlation events. */
export const ProductName = "Corvus"

/** The facts of one firing, gathered by the group that fired. */
export interface Firing {
  readonly groupKey: string
  readonly windowStartsAt: number
  readonly startTime: number
  readonly endTime: number
  readonly baseEventIds: ReadonlyArray<string>
  readonly baseEventCount: number
  /** The latest base event: identical fields are copied from it. */
  readonly lastEvent: NormalizedEvent
}

/** Builds the correlation event of `rule` firing in `correlator`. */
export const buildCorrelationEvent = (
  correlator: CorrelatorSpec,
  rule: StandardRule,
  identicalFields: ReadonlyArray<EventFieldName>,
  firing: Firing
): NormalizedEvent => {
  const event: Record<string, unknown> = {}
  for (const field of identicalFields) {
    const value = firing.lastEvent[field]
    if (value !== undefined) event[field] = value
  }
  return {
    ...(event as Partial<NormalizedEvent>),
    // The window is named by its start and its first event: a group that fires and reopens
    // in the same millisecond still gets a new ID, and a replay of the same events the same one.
    ID: deterministicId([correlator.id, rule.id, firing.groupKey, firing.windowStartsAt, firing.baseEventIds[0] ?? ""]),
    Timestamp: firing.endTime,
    TenantID: correlator.tenantId,
    Type: EventType.Correlation,
    Name: rule.name,
    CorrelationRuleID: rule.id,
    CorrelationRuleName: rule.name,
    Priority: rule.priority,
    ServiceID: correlator.id,
    ServiceName: correlator.name,
    DeviceVendor: ProductName,
    DeviceProduct: ProductName,
    BaseEventIDs: firing.baseEventIds,
    BaseEventCount: firing.baseEventCount,
    GroupedBy: identicalFields,
    StartTime: firing.startTime,
    EndTime: firing.endTime
  }
}
