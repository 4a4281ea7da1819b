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

/** What a rule's firings share, worked out on its first firing. */
interface Plan {
  readonly simple: boolean
  /** By identical field: its writer (none for a variable). */
  readonly identicalWriters: ReadonlyArray<FieldWriter | undefined>
  /** Unique fields copied from the event (plain event fields only), with their writers. */
  readonly uniqueRefs: ReadonlyArray<keyof NormalizedEvent>
  readonly uniqueWriters: ReadonlyArray<FieldWriter>
  readonly groupedBy: ReadonlyArray<string>
}

const plans = new WeakMap<CompiledRule, Plan>()
const planOf = (rule: CompiledRule): Plan => {
  let plan = plans.get(rule)
  if (plan === undefined) {
    const uniqueRefs: Array<keyof NormalizedEvent> = []
    const uniqueWriters: Array<FieldWriter> = []
    for (const ref of rule.uniqueFields) {
      const writer = writerFor(ref)
      if (writer !== undefined && !ref.startsWith("Extra.")) {
        uniqueRefs.push(ref as keyof NormalizedEvent)
        uniqueWriters.push(writer)
      }
    }
    plan = {
      simple: rule.rule.kind === "simple",
      identicalWriters: rule.identicalFields.map((ref) => writerFor(ref)),
      uniqueRefs,
      uniqueWriters,
      groupedBy: rule.identicalFields.filter((ref) => !ref.startsWith("$"))
    }
    plans.set(rule, plan)
  }
  return plan
}

/** Builds the (still mutable, for enrichment) correlation event of a firing. */
export const buildCorrelationEvent = (correlator: CorrelatorSpec, firing: Firing): Record<string, unknown> => {
  const rule = firing.rule
  const plan = planOf(rule)
  const source = firing.event
  const event: Record<string, unknown> = {}
  if (plan.simple && source !== undefined) {
    // One base event: the correlation event carries its fields.
    for (const field of Object.keys(source)) if (!OwnFields.has(field)) event[field] = source[field as keyof NormalizedEvent]
  }
  const identicalWriters = plan.identicalWriters
  if (identicalWriters.length > 0) {
    const values = splitGroupKey(firing.groupKey, identicalWriters.length)
    for (let i = 0; i < identicalWriters.length; i++) identicalWriters[i]?.(event, values[i])
  }
  if (source !== undefined) {
    const uniqueRefs = plan.uniqueRefs
    for (let i = 0; i < uniqueRefs.length; i++) plan.uniqueWriters[i]!(event, source[uniqueRefs[i]!])
  }
  // Plain assignments in Object.assign's order: a key already written keeps its place.
  event.ID = deterministicId([correlator.id, rule.rule.id, firing.trigger, firing.actionIndex, firing.groupKey, ...firing.identity])
  event.Timestamp = firing.time
  event.TenantID = correlator.tenantId
  event.Type = EventType.Correlation
  event.Name = rule.rule.name
  event.CorrelationRuleID = rule.rule.id
  event.CorrelationRuleName = rule.rule.name
  event.Priority = rule.rule.priority
  event.ServiceID = correlator.id
  event.ServiceName = correlator.name
  event.DeviceVendor = ProductName
  event.DeviceProduct = ProductName
  event.BaseEventIDs = firing.baseEventIds
  event.BaseEventCount = firing.baseEventCount
  // A fresh array per event: enrichment or consumers must not reach the cached one.
  event.GroupedBy = plan.groupedBy.slice()
  event.StartTime = firing.startTime
  event.EndTime = firing.endTime
  return event
}
