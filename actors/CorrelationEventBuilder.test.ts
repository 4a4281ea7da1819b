// Correlation events against the original builder kept below as the reference: for random rules
// and firings the same fields, values and key order (so the same JSON), rule after rule.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { EventType, type NormalizedEvent } from "../model/Event.ts"
import type { CorrelatorSpec, Trigger } from "../model/Rule.ts"
import { buildCorrelationEvent, ProductName, type Firing } from "./CorrelationEventBuilder.ts"
import { deterministicId } from "./DeterministicId.ts"
import { escapePart, KeySeparator, splitGroupKey } from "./GroupTable.ts"
import { fieldWriter, type CompiledRule, type FieldWriter } from "./RuleCompiler.ts"

const ReferenceOwnFields = new Set(["ID", "Timestamp", "TenantID", "ServiceID", "ServiceName", "Type", "Raw", "ReceiptTime", "CorrelationRuleID", "CorrelationRuleName", "BaseEventIDs", "BaseEventCount", "GroupedBy", "StartTime", "EndTime", "AggregationRuleID", "AggregationRuleName", "Priority", "DeviceVendor", "DeviceProduct", "Name"])

const referenceWriterFor = (ref: string): FieldWriter | undefined => (ref.startsWith("$") ? undefined : fieldWriter(ref))

const referenceBuild = (correlator: CorrelatorSpec, firing: Firing): Record<string, unknown> => {
  const rule = firing.rule
  const event: Record<string, unknown> = {}
  if (rule.rule.kind === "simple" && firing.event !== undefined) {
    for (const [field, value] of Object.entries(firing.event)) if (!ReferenceOwnFields.has(field)) event[field] = value
  }
  const identical = rule.identicalFields
  if (identical.length > 0) {
    const values = splitGroupKey(firing.groupKey, identical.length)
    identical.forEach((ref, i) => referenceWriterFor(ref)?.(event, values[i]))
  }
  if (firing.event !== undefined) for (const ref of rule.uniqueFields) {
    const writer = referenceWriterFor(ref)
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

const correlator = { id: "correlator-1", name: "Main correlator", tenantId: "main" } as unknown as CorrelatorSpec

// Plain fields of each kind, fields the correlation event owns (overwritten in place), Extra and variables.
const refs = ["SourceAddress", "DestinationUserName", "DestinationPort", "BytesIn", "Name", "Priority", "DeviceVendor", "Message", "Extra.host", "Extra.user", "$var"]
const fieldValue = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -5, max: 70_000 }), fc.double({ noNaN: true }), fc.constant(""))
const event = fc.record(
  {
    ID: fc.uuid(),
    Timestamp: fc.nat(),
    TenantID: fc.constant("main"),
    Type: fc.constant(1),
    Raw: fc.string(),
    Name: fc.string({ maxLength: 6 }),
    Priority: fc.nat({ max: 10 }),
    SourceAddress: fc.string({ maxLength: 6 }),
    DestinationUserName: fc.string({ maxLength: 6 }),
    DestinationPort: fc.nat({ max: 65_535 }),
    BytesIn: fc.double({ noNaN: true }),
    DeviceVendor: fc.string({ maxLength: 6 }),
    Message: fc.string({ maxLength: 6 }),
    Extra: fc.dictionary(fc.constantFrom("host", "user", "other"), fc.string({ maxLength: 4 }))
  },
  { requiredKeys: ["ID", "Timestamp", "TenantID", "Type"] }
)

const rule = fc
  .record({
    kind: fc.constantFrom("simple", "standard"),
    id: fc.constantFrom("rule-1", "rule-2"),
    name: fc.string({ maxLength: 6 }),
    priority: fc.nat({ max: 10 }),
    identicalFields: fc.uniqueArray(fc.constantFrom(...refs), { maxLength: 4 }),
    uniqueFields: fc.uniqueArray(fc.constantFrom(...refs), { maxLength: 3 })
  })
  .map(({ kind, id, name, priority, identicalFields, uniqueFields }) => ({ index: 0, rule: { kind, id, name, priority }, identicalFields, uniqueFields }) as unknown as CompiledRule)

const firingOf = (compiled: CompiledRule) =>
  fc.record({
    trigger: fc.constantFrom<Trigger>("onEveryEvent", "onFirstThreshold", "onSubsequentThresholds", "onTimeout"),
    actionIndex: fc.nat({ max: 3 }),
    groupValues: fc.array(fieldValue.map(String), { minLength: compiled.identicalFields.length, maxLength: compiled.identicalFields.length }),
    identity: fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 3 }),
    time: fc.nat(),
    baseEventIds: fc.array(fc.uuid(), { maxLength: 3 }),
    event: fc.option(event, { nil: undefined })
  }).map(({ groupValues, ...facts }): Firing => ({
    ...facts,
    rule: compiled,
    groupKey: groupValues.map(escapePart).join(KeySeparator),
    startTime: facts.time - 10,
    endTime: facts.time,
    baseEventCount: facts.baseEventIds.length,
    event: facts.event as NormalizedEvent | undefined
  }))

const rulesAndFirings = fc.array(rule.chain((compiled) => fc.array(firingOf(compiled), { minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 4 })

describe("buildCorrelationEvent", () => {
  it("builds what the reference builds, in the same key order, for every firing of every rule", () => {
    fc.assert(
      fc.property(rulesAndFirings, (rules) => {
        for (const firings of rules) for (const firing of firings) {
          const expected = referenceBuild(correlator, firing)
          const actual = buildCorrelationEvent(correlator, firing)
          expect(Object.keys(actual)).toEqual(Object.keys(expected))
          expect(JSON.stringify(actual)).toBe(JSON.stringify(expected))
          expect(actual).toEqual(expected)
        }
      }),
      { numRuns: 1_000 }
    )
  })

  it("gives each event its own GroupedBy array", () => {
    const compiled = { index: 0, rule: { kind: "standard", id: "r", name: "R", priority: 1 }, identicalFields: ["SourceAddress", "$var"], uniqueFields: [] } as unknown as CompiledRule
    const firing: Firing = { rule: compiled, trigger: "onFirstThreshold", actionIndex: 0, groupKey: `a${KeySeparator}b`, identity: [1], time: 1, startTime: 1, endTime: 1, baseEventIds: [], baseEventCount: 0, event: undefined }
    const first = buildCorrelationEvent(correlator, firing)
    ;(first.GroupedBy as Array<string>).push("Mutated")
    const second = buildCorrelationEvent(correlator, firing)
    expect(second.GroupedBy).toEqual(["SourceAddress"])
    expect(second.GroupedBy).not.toBe(first.GroupedBy)
  })
})
