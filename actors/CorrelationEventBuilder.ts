// Builds correlation events exactly as SPEC §4 says: type 2, a deterministic ID, the rule's name
// and priority, the correlator as service, the product as device, base event IDs and count,
// grouped-by fields, identical (and unique) field values, start and end, the correlator's tenant.
import { EventType, type NormalizedEvent } from "../model/Event.ts"
import type { CorrelatorSpec, Trigger } from "../model/Rule.ts"
import { deterministicId } from "./DeterministicId.ts"
import { splitGroupKey } from "./GroupTable.ts"
import { fieldWriter, type CompiledRule, type FieldWriter } from "./RuleCompiler.ts"

/** The product name stamped on correlation and service events. */
export const ProductName = "Corvus"

/** The facts of one firing, gathered by the rule that fired. */
export interface Firing {
  readonly rule: CompiledRule
  readonly trigger: Trigger
  readonly actionIndex: number
  readonly groupKey: string
  /** Names the firing for its ID: the window (start and opening order) and the firing's ordinal in it. */
  readonly identity: ReadonlyArray<string | number>
  readonly time: number
  readonly startTime: number
  readonly endTime: number
  readonly baseEventIds: ReadonlyArray<string>
  readonly baseEventCount: number
  /** The event that caused the firing (absent on timeout). */
  readonly event: NormalizedEvent | undefined
}

/** Fields a correlation event never takes from a base event: they describe the event itself. */
const OwnFields = new Set(["ID", "Timestamp", "TenantID", "ServiceID", "ServiceName", "Type", "Raw", "ReceiptTime", "CorrelationRuleID", "CorrelationRuleName", "BaseEventIDs", "BaseEventCount", "GroupedBy", "StartTime", "EndTime", "AggregationRuleID", "AggregationRuleName", "Priority", "DeviceVendor", "DeviceProduct", "Name"])

const writers = new Map<string, FieldWriter>()
const writerFor = (ref: string): FieldWriter | undefined => {
  if (ref.startsWith("$")) return undefined
  let writer = writers.get(ref)
  if (writer === undefined) {
    writer = fieldWriter(ref)
    writers.set(ref, writer)
  }
  return writer
}

/** Builds the (still mutable, for enrichment) correlation event of a firing. */
export const buildCorrelationEvent = (correlator: CorrelatorSpec, firing: Firing): Record<string, unknown> => {
  const rule = firing.rule
  const event: Record<string, unknown> = {}
  if (rule.rule.kind === "simple" && firing.event !== undefined) {
    // One base event: the correlation event carries its fields.
    for (const [field, value] of Object.entries(firing.event)) if (!OwnFields.has(field)) event[field] = value
  }
  const identical = rule.identicalFields
  if (identical.length > 0) {
    const values = splitGroupKey(firing.groupKey, identical.length)
    identical.forEach((ref, i) => writerFor(ref)?.(event, values[i]))
  }
  if (firing.event !== undefined) for (const ref of rule.uniqueFields) {
    const writer = writerFor(ref)
    if (writer !== undefined && !ref.startsWith("Extra.")) writer(event, firing.event[ref as keyof NormalizedEvent])
  }
  Object.assign(event, {
    ID: deterministicId([correlator.id, rule.rule.id, firing.trigger, firing.actionIndex, firing.groupKey, ...firing.identity]),
    Timestamp: firing.time,
    TenantID: correlator.tenantId,
    Type: EventType.Correlation,
    Name: rule.rule.name,
    CorrelationRuleID: rule.rule.id,
    CorrelationRuleName: rule.rule.name,
    Priority: rule.rule.priority,
    ServiceID: correlator.id,
    ServiceName: correlator.name,
    DeviceVendor: ProductName,
    DeviceProduct: ProductName,
    BaseEventIDs: firing.baseEventIds,
    BaseEventCount: firing.baseEventCount,
    GroupedBy: identical.filter((ref) => !ref.startsWith("$")),
    StartTime: firing.startTime,
    EndTime: firing.endTime
  })
  return event
}
