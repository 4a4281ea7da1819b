// The correlation engine against SPEC §1 and §4: thresholds, buckets per identical-field tuple,
// tenants in the group key, the correlation event's fields, windows, several selectors,
// determinism, passivation, rule validation, and a reference evaluator for random streams.
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as fc from "fast-check"
import { decodeEventSync, type NormalizedEvent } from "../model/Event.ts"
import type { Filter } from "../model/Filter.ts"
import { CorrelatorId, TenantId } from "../model/Ids.ts"
import { StandardRule, type CorrelatorSpec } from "../model/Rule.ts"
import type { Correlation } from "./Correlation.ts"
import { ProductName } from "./CorrelationEventBuilder.ts"
import { CorrelatorEngine } from "./CorrelatorEngine.ts"
import { deterministicId } from "./DeterministicId.ts"
import { groupKeyOf, groupKeyValues } from "./GroupKey.ts"
import { InvalidRule, MaxBaseEventIds } from "./StandardRuleActor.ts"

const mainTenant = TenantId.make("main")
const tenant2 = TenantId.make("tenant-2")
const tenant3 = TenantId.make("tenant-3")
const correlatorId = CorrelatorId.make("correlator-1")

const UuidV5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const failure: Filter = { field: "EventOutcome", op: "=", value: "failure" }
const success: Filter = { field: "EventOutcome", op: "=", value: "success" }

/** A standard rule decoded like a resource, so defaults apply; fields override the brute-force rule. */
const makeRule = (fields: Record<string, unknown> = {}): StandardRule =>
  Schema.decodeUnknownSync(StandardRule)({
    kind: "standard",
    id: "brute-force",
    name: "Brute force",
    selectors: [{ name: "failures", filter: failure, threshold: 3 }],
    identicalFields: ["SourceAddress"],
    windowSeconds: 60,
    priority: 9,
    ...fields
  })

const makeSpec = (rules: ReadonlyArray<StandardRule>, tenantId: TenantId = mainTenant): CorrelatorSpec => ({
  id: correlatorId,
  tenantId,
  name: "Main correlator",
  sources: [{ tenantId: tenant2 }, { tenantId: tenant3 }],
  rules: [...rules]
})

const engineFor = (rule: StandardRule = makeRule(), tenantId: TenantId = mainTenant): CorrelatorEngine =>
  new CorrelatorEngine(makeSpec([rule], tenantId))

const t0 = Date.UTC(2024, 4, 1, 10, 0, 0)

const baseEvent = (timestamp: number, fields: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  ID: crypto.randomUUID(),
  Timestamp: timestamp,
  TenantID: tenant2,
  Type: 1,
  EventOutcome: "failure",
  SourceAddress: "10.0.0.1",
  ...fields
})

const withoutField = (event: NormalizedEvent, field: keyof NormalizedEvent): NormalizedEvent => {
  const copy: Record<string, unknown> = { ...event }
  delete copy[field]
  return copy as NormalizedEvent
}

/** Feeds events one batch each and returns every correlation, in order. */
const feed = (engine: CorrelatorEngine, events: ReadonlyArray<NormalizedEvent>): Array<Correlation> =>
  events.flatMap((event) => engine.processBatch([event]))

describe("CorrelatorEngine thresholds", () => {
  it("fires exactly once when the threshold is reached, and not before", () => {
    const engine = engineFor()
    expect(engine.processBatch([baseEvent(t0), baseEvent(t0 + 1_000)])).toEqual([])
    const fired = engine.processBatch([baseEvent(t0 + 2_000)])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.event.BaseEventCount).toBe(3)
  })

  it("a firing clears the bucket: the next threshold needs a full new set of events", () => {
    const engine = engineFor()
    const events = Array.from({ length: 7 }, (_, index) => baseEvent(t0 + index * 1_000))
    const perEvent = events.map((event) => engine.processBatch([event]).length)
    expect(perEvent).toEqual([0, 0, 1, 0, 0, 1, 0])
    expect(engine.liveGroups).toBe(1)
  })

  it("a group is live from its first matching event and gone after it fires", () => {
    const engine = engineFor()
    expect(engine.liveGroups).toBe(0)
    engine.processBatch([baseEvent(t0)])
    expect(engine.liveGroups).toBe(1)
    engine.processBatch([baseEvent(t0 + 1), baseEvent(t0 + 2)])
    expect(engine.liveGroups).toBe(0)
  })

  it("events that match no selector neither count nor open a group", () => {
    const engine = engineFor(makeRule({ selectors: [{ filter: failure, threshold: 1 }] }))
    expect(engine.processBatch([baseEvent(t0, { EventOutcome: "success" }), withoutField(baseEvent(t0 + 1), "EventOutcome")])).toEqual([])
    expect(engine.liveGroups).toBe(0)
  })

  it("the default threshold of a decoded selector is 1", () => {
    const rule = makeRule({ selectors: [{ filter: failure }] })
    expect(rule.selectors[0].threshold).toBe(1)
    expect(engineFor(rule).processBatch([baseEvent(t0)])).toHaveLength(1)
  })

  it("one batch can cause several firings, returned in stream order", () => {
    const rule = makeRule({ selectors: [{ filter: failure, threshold: 2 }] })
    const events = [
      baseEvent(t0, { SourceAddress: "a" }),
      baseEvent(t0 + 1, { SourceAddress: "b" }),
      baseEvent(t0 + 2, { SourceAddress: "b" }),
      baseEvent(t0 + 3, { SourceAddress: "a" })
    ]
    const fired = engineFor(rule).processBatch(events)
    expect(fired.map((correlation) => correlation.groupKey)).toEqual(["b", "a"])
  })
})

describe("CorrelatorEngine buckets", () => {
  it("keeps one bucket per distinct tuple of identical-field values", () => {
    const rule = makeRule({ identicalFields: ["SourceAddress", "DestinationUserName"], selectors: [{ filter: failure, threshold: 2 }] })
    const engine = engineFor(rule)
    const a1 = (t: number) => baseEvent(t, { SourceAddress: "a", DestinationUserName: "root" })
    const a2 = (t: number) => baseEvent(t, { SourceAddress: "a", DestinationUserName: "admin" })
    const b1 = (t: number) => baseEvent(t, { SourceAddress: "b", DestinationUserName: "root" })
    expect(engine.processBatch([a1(t0), a2(t0 + 1), b1(t0 + 2)])).toEqual([])
    expect(engine.liveGroups).toBe(3)
    const fired = engine.processBatch([a2(t0 + 3)])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.event).toMatchObject({ SourceAddress: "a", DestinationUserName: "admin" })
    expect(groupKeyValues(fired[0]!.groupKey)).toEqual(["a", "admin"])
    expect(engine.liveGroups).toBe(2)
  })

  it("with no identical fields every matching event falls in one bucket", () => {
    const rule = makeRule({ identicalFields: [], selectors: [{ filter: failure, threshold: 3 }] })
    const fired = engineFor(rule).processBatch([
      baseEvent(t0, { SourceAddress: "a" }),
      baseEvent(t0 + 1, { SourceAddress: "b" }),
      baseEvent(t0 + 2, { SourceAddress: "c" })
    ])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.groupKey).toBe("")
    expect(fired[0]!.event.GroupedBy).toEqual([])
    expect(fired[0]!.event.SourceAddress).toBeUndefined()
  })

  it("TenantID among the identical fields keeps the events of two tenants apart (SPEC §1)", () => {
    const rule = makeRule({ identicalFields: ["TenantID", "SourceAddress"], selectors: [{ filter: failure, threshold: 2 }] })
    const engine = engineFor(rule)
    expect(engine.processBatch([baseEvent(t0, { TenantID: tenant2 }), baseEvent(t0 + 1, { TenantID: tenant3 })])).toEqual([])
    expect(engine.liveGroups).toBe(2)
    const fired = engine.processBatch([baseEvent(t0 + 2, { TenantID: tenant3 })])
    expect(fired).toHaveLength(1)
    expect(groupKeyValues(fired[0]!.groupKey)).toEqual(["tenant-3", "10.0.0.1"])
    // The group was tenant 3's, but the correlation event is the correlator's tenant's.
    expect(fired[0]!.event.TenantID).toBe("main")
  })

  it("without TenantID among the identical fields, events of two tenants correlate together (SPEC §1)", () => {
    const rule = makeRule({ identicalFields: ["SourceAddress"], selectors: [{ filter: failure, threshold: 2 }] })
    const first = baseEvent(t0, { TenantID: tenant2 })
    const second = baseEvent(t0 + 1, { TenantID: tenant3 })
    const fired = engineFor(rule).processBatch([first, second])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.event.BaseEventIDs).toEqual([first.ID, second.ID])
    expect(fired[0]!.event.TenantID).toBe("main")
  })
})

describe("CorrelatorEngine correlation event", () => {
  it("has every field SPEC §4 lists, taken from the rule, the correlator and the base events", () => {
    const rule = makeRule({ identicalFields: ["SourceAddress", "DestinationUserName"], priority: 13 })
    const engine = new CorrelatorEngine(makeSpec([rule], tenant3))
    const events = [
      baseEvent(t0 + 5_000, { DestinationUserName: "root", SourcePort: 1111, Message: "first" }),
      baseEvent(t0 + 1_000, { DestinationUserName: "root", SourcePort: 2222, Message: "second" }),
      baseEvent(t0 + 9_000, { DestinationUserName: "root", SourcePort: 3333, Message: "third" })
    ]
    const [correlation, ...rest] = engine.processBatch(events)
    expect(rest).toEqual([])
    expect(correlation!.correlatorId).toBe("correlator-1")
    expect(correlation!.ruleId).toBe("brute-force")
    expect(correlation!.groupKey).toBe(groupKeyOf(events[0]!, ["SourceAddress", "DestinationUserName"]))
    expect(correlation!.event).toEqual({
      ID: deterministicId(["correlator-1", "brute-force", correlation!.groupKey, t0 + 5_000, events[0]!.ID]),
      Timestamp: t0 + 9_000,
      TenantID: "tenant-3",
      Type: 2,
      Name: "Brute force",
      CorrelationRuleID: "brute-force",
      CorrelationRuleName: "Brute force",
      Priority: 13,
      ServiceID: "correlator-1",
      ServiceName: "Main correlator",
      DeviceVendor: ProductName,
      DeviceProduct: ProductName,
      BaseEventIDs: events.map((event) => event.ID),
      BaseEventCount: 3,
      GroupedBy: ["SourceAddress", "DestinationUserName"],
      // Earliest and latest base event, whatever their arrival order.
      StartTime: t0 + 1_000,
      EndTime: t0 + 9_000,
      SourceAddress: "10.0.0.1",
      DestinationUserName: "root"
    })
    expect(ProductName).toBe("Corvus")
  })

  it("is a valid normalized event with a v5 UUID", () => {
    const [correlation] = engineFor().processBatch([baseEvent(t0), baseEvent(t0 + 1), baseEvent(t0 + 2)])
    expect(decodeEventSync(correlation!.event)).toEqual(correlation!.event)
    expect(correlation!.event.ID).toMatch(UuidV5)
  })

  it("takes its priority from the rule, 5 by default", () => {
    const rule = Schema.decodeUnknownSync(StandardRule)({
      kind: "standard",
      id: "r",
      name: "Defaults",
      selectors: [{ filter: failure }],
      windowSeconds: 10
    })
    expect(rule.priority).toBe(5)
    expect(rule.identicalFields).toEqual([])
    expect(engineFor(rule).processBatch([baseEvent(t0)])[0]!.event.Priority).toBe(5)
  })

  it("TenantID is always the correlator's, even with TenantID as an identical field", () => {
    const rule = makeRule({ identicalFields: ["TenantID"], selectors: [{ filter: failure, threshold: 1 }] })
    for (const owner of [mainTenant, tenant2]) {
      const [correlation] = engineFor(rule, owner).processBatch([baseEvent(t0, { TenantID: tenant3 })])
      expect(correlation!.event.TenantID).toBe(owner)
      expect(correlation!.event.GroupedBy).toEqual(["TenantID"])
    }
  })

  it("lists at most MaxBaseEventIds base event IDs while BaseEventCount keeps counting", () => {
    const threshold = MaxBaseEventIds + 200
    const rule = makeRule({ selectors: [{ filter: failure, threshold }] })
    const events = Array.from({ length: threshold }, (_, index) => baseEvent(t0 + index))
    const [correlation] = engineFor(rule).processBatch(events)
    expect(correlation!.event.BaseEventCount).toBe(threshold)
    expect(correlation!.event.BaseEventIDs).toEqual(events.slice(0, MaxBaseEventIds).map((event) => event.ID))
    expect(correlation!.event.StartTime).toBe(t0)
    expect(correlation!.event.EndTime).toBe(t0 + threshold - 1)
  })
})

describe("CorrelatorEngine windows", () => {
  it("an event at or after windowEndsAt starts a new bucket: no firing across windows", () => {
    const engine = engineFor()
    const window = 60_000
    expect(feed(engine, [baseEvent(t0), baseEvent(t0 + 30_000), baseEvent(t0 + window)])).toEqual([])
    expect(engine.liveGroups).toBe(1)
    const third = baseEvent(t0 + window + 1_000)
    expect(engine.processBatch([third])).toEqual([])
    const fourth = baseEvent(t0 + window + 2_000)
    const [correlation] = engine.processBatch([fourth])
    expect(correlation!.event.StartTime).toBe(t0 + window)
    expect(correlation!.event.BaseEventCount).toBe(3)
    expect(correlation!.event.BaseEventIDs).toContain(third.ID)
  })

  it("an event one millisecond before windowEndsAt still counts", () => {
    const fired = feed(engineFor(), [baseEvent(t0), baseEvent(t0 + 1), baseEvent(t0 + 59_999)])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.event.EndTime).toBe(t0 + 59_999)
  })

  it("the window opens at the group's first event, not at a fixed grid", () => {
    const rule = makeRule({ windowSeconds: 10, selectors: [{ filter: failure, threshold: 2 }] })
    // 5 s and 14 s are in one 10 s window opened at 5 s, though they straddle a 10 s boundary.
    expect(feed(engineFor(rule), [baseEvent(t0 + 5_000), baseEvent(t0 + 14_000)])).toHaveLength(1)
  })

  it("windows are per group: one group's expiry does not reset another", () => {
    const rule = makeRule({ windowSeconds: 10, selectors: [{ filter: failure, threshold: 2 }] })
    const fired = feed(engineFor(rule), [
      baseEvent(t0, { SourceAddress: "a" }),
      baseEvent(t0 + 8_000, { SourceAddress: "b" }),
      baseEvent(t0 + 12_000, { SourceAddress: "a" }),
      baseEvent(t0 + 15_000, { SourceAddress: "b" })
    ])
    expect(fired.map((correlation) => correlation.groupKey)).toEqual(["b"])
  })
})

describe("CorrelatorEngine selectors", () => {
  const rule = makeRule({
    selectors: [
      { name: "failures", filter: failure, threshold: 3 },
      { name: "success", filter: success, threshold: 1 }
    ]
  })

  it("fires only when every selector reached its own threshold", () => {
    const engine = engineFor(rule)
    expect(feed(engine, [baseEvent(t0), baseEvent(t0 + 1), baseEvent(t0 + 2), baseEvent(t0 + 3)])).toEqual([])
    const fired = engine.processBatch([baseEvent(t0 + 4, { EventOutcome: "success" })])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.event.BaseEventCount).toBe(5)
  })

  it("the order in which selectors reach their thresholds does not matter", () => {
    const engine = engineFor(rule)
    expect(feed(engine, [baseEvent(t0, { EventOutcome: "success" }), baseEvent(t0 + 1), baseEvent(t0 + 2)])).toEqual([])
    expect(engine.processBatch([baseEvent(t0 + 3)])).toHaveLength(1)
  })

  it("many events of one selector never make up for the other", () => {
    const events = Array.from({ length: 20 }, (_, index) => baseEvent(t0 + index, { EventOutcome: "success" }))
    expect(feed(engineFor(rule), events)).toEqual([])
  })
})

describe("CorrelatorEngine rules", () => {
  it("each rule of a correlator counts the same events independently", () => {
    const fast = makeRule({ id: "fast", name: "Fast", selectors: [{ filter: failure, threshold: 2 }] })
    const slow = makeRule({ id: "slow", name: "Slow", selectors: [{ filter: failure, threshold: 3 }] })
    const engine = new CorrelatorEngine(makeSpec([fast, slow]))
    const fired = feed(engine, [baseEvent(t0), baseEvent(t0 + 1), baseEvent(t0 + 2), baseEvent(t0 + 3)])
    expect(fired.map((correlation) => correlation.ruleId)).toEqual(["fast", "slow", "fast"])
    expect(fired.map((correlation) => correlation.event.CorrelationRuleName)).toEqual(["Fast", "Slow", "Fast"])
  })

  it("an unknown identical field is an InvalidRule with its path", () => {
    const rule = makeRule({ identicalFields: ["SourceAddress", "SrcIp"] })
    let error: unknown
    try {
      engineFor(rule)
    } catch (cause) {
      error = cause
    }
    expect(error).toBeInstanceOf(InvalidRule)
    expect(error).toMatchObject({ _tag: "InvalidRule", ruleId: "brute-force", path: "identicalFields[1]" })
    expect((error as InvalidRule).reason).toContain("SrcIp")
  })

  it("an unknown field in a selector filter is an InvalidRule with the selector's path", () => {
    const good = makeRule({ id: "good" })
    const bad = makeRule({
      id: "bad",
      selectors: [{ filter: failure }, { filter: { and: [failure, { field: "Outcome", op: "exists" }] } }]
    })
    let error: unknown
    try {
      new CorrelatorEngine(makeSpec([good, bad]))
    } catch (cause) {
      error = cause
    }
    expect(error).toBeInstanceOf(InvalidRule)
    expect(error).toMatchObject({ ruleId: "bad", path: "selectors[1].filter" })
    expect((error as InvalidRule).reason).toContain("Outcome")
    expect((error as InvalidRule).message).toBe("rule bad: selectors[1].filter: unknown event field 'Outcome'")
  })
})

describe("CorrelatorEngine determinism and passivation", () => {
  const mixedStream = (): Array<NormalizedEvent> =>
    Array.from({ length: 60 }, (_, index) =>
      baseEvent(t0 + index * 7_000, {
        SourceAddress: `10.0.0.${index % 3}`,
        TenantID: index % 2 === 0 ? tenant2 : tenant3,
        EventOutcome: index % 5 === 0 ? "success" : "failure"
      })
    )

  it("the same input twice gives identical outputs, IDs included, however it is batched", () => {
    const events = mixedStream()
    const rule = makeRule({
      identicalFields: ["SourceAddress"],
      windowSeconds: 120,
      selectors: [{ filter: failure, threshold: 2 }, { filter: success }]
    })
    const once = new CorrelatorEngine(makeSpec([rule])).processBatch(events)
    const again = feed(new CorrelatorEngine(makeSpec([rule])), events)
    expect(once.length).toBeGreaterThan(0)
    expect(again).toEqual(once)
    for (const correlation of once) expect(correlation.event.ID).toMatch(UuidV5)
  })

  it("deterministicId is a v5 UUID that depends on every part and on where parts split", () => {
    const id = deterministicId(["c", "r", "g", 1])
    expect(id).toMatch(UuidV5)
    expect(deterministicId(["c", "r", "g", 1])).toBe(id)
    expect(deterministicId(["c", "r", "g", 2])).not.toBe(id)
    expect(deterministicId(["c", "r", "h", 1])).not.toBe(id)
    expect(deterministicId(["ab", "c"])).not.toBe(deterministicId(["a", "bc"]))
    expect(deterministicId([])).toMatch(UuidV5)
  })

  it("advanceTo passivates exactly the groups whose window ended", () => {
    const rule = makeRule({ windowSeconds: 60 })
    const engine = engineFor(rule)
    engine.processBatch([baseEvent(t0, { SourceAddress: "a" }), baseEvent(t0 + 30_000, { SourceAddress: "b" })])
    expect(engine.liveGroups).toBe(2)
    engine.advanceTo(t0 + 59_999)
    expect(engine.liveGroups).toBe(2)
    engine.advanceTo(t0 + 60_000)
    expect(engine.liveGroups).toBe(1)
    engine.advanceTo(t0 + 90_000)
    expect(engine.liveGroups).toBe(0)
  })

  it("a passivated group's counts are gone: later events start from zero", () => {
    const rule = makeRule({ selectors: [{ filter: failure, threshold: 2 }], windowSeconds: 60 })
    const engine = engineFor(rule)
    engine.processBatch([baseEvent(t0)])
    engine.advanceTo(t0 + 60_000)
    expect(engine.processBatch([baseEvent(t0 + 60_001)])).toEqual([])
    expect(engine.processBatch([baseEvent(t0 + 60_002)])).toHaveLength(1)
  })

  it("streamTime is the latest event time seen, whatever the arrival order", () => {
    const engine = engineFor()
    expect(engine.streamTime).toBe(Number.NEGATIVE_INFINITY)
    engine.processBatch([baseEvent(t0 + 5_000), baseEvent(t0 + 1_000), baseEvent(t0 + 3_000, { EventOutcome: "success" })])
    expect(engine.streamTime).toBe(t0 + 5_000)
  })
})

describe("GroupKey", () => {
  const event = baseEvent(t0, { SourceAddress: "a b", DestinationUserName: "c", SourcePort: 22 })

  it("joins values so that different splits of the same text never collide", () => {
    const left = groupKeyOf(baseEvent(t0, { SourceAddress: "a b", DestinationUserName: "c" }), ["SourceAddress", "DestinationUserName"])
    const right = groupKeyOf(baseEvent(t0, { SourceAddress: "a", DestinationUserName: "b c" }), ["SourceAddress", "DestinationUserName"])
    expect(left).not.toBe(right)
  })

  it("splits back into the values in identical-field order, numbers as text", () => {
    expect(groupKeyValues(groupKeyOf(event, ["DestinationUserName", "SourcePort", "SourceAddress"]))).toEqual(["c", "22", "a b"])
    expect(groupKeyOf(event, [])).toBe("")
  })

  it("a missing value keeps its slot", () => {
    expect(groupKeyValues(groupKeyOf(event, ["SourceHostName", "SourceAddress"]))).toEqual(["", "a b"])
  })
})

// A small reference for one standard rule with one selector: per group, the window opens at the
// first counted event; k events inside it fire and clear; a window that ends short is dropped.
interface ReferenceFiring {
  readonly values: ReadonlyArray<string>
  readonly windowStart: number
  readonly baseEventIds: ReadonlyArray<string>
  readonly firedAt: number
}

const referenceFirings = (
  events: ReadonlyArray<NormalizedEvent>,
  matches: (event: NormalizedEvent) => boolean,
  threshold: number,
  identicalFields: ReadonlyArray<"SourceAddress" | "DestinationUserName" | "TenantID">,
  windowMillis: number
): Array<ReferenceFiring> => {
  const groups = new Map<string, Array<{ readonly position: number; readonly event: NormalizedEvent }>>()
  events.forEach((event, position) => {
    if (!matches(event)) return
    const values = identicalFields.map((field) => event[field] ?? "")
    const key = JSON.stringify(values)
    groups.set(key, [...(groups.get(key) ?? []), { position, event }])
  })
  const firings: Array<ReferenceFiring> = []
  for (const [key, members] of groups) {
    let first = 0
    while (first < members.length) {
      const windowStart = members[first]!.event.Timestamp
      const inWindow = members.slice(first).filter((member) => member.event.Timestamp < windowStart + windowMillis)
      if (inWindow.length >= threshold) {
        const counted = inWindow.slice(0, threshold)
        firings.push({
          values: JSON.parse(key) as Array<string>,
          windowStart,
          baseEventIds: counted.map((member) => member.event.ID),
          firedAt: counted[threshold - 1]!.position
        })
        first += threshold
      } else first += inWindow.length
    }
  }
  return firings.sort((a, b) => a.firedAt - b.firedAt)
}

describe("CorrelatorEngine property", () => {
  const identicalFieldsArbitrary = fc.subarray(["SourceAddress", "DestinationUserName", "TenantID"] as const)
  const eventFieldsArbitrary = fc.record(
    {
      gap: fc.constantFrom(0, 0, 1, 250, 500, 1_000, 2_500, 4_000),
      TenantID: fc.constantFrom(tenant2, tenant3),
      EventOutcome: fc.constantFrom("failure", "failure", "success"),
      SourceAddress: fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
      DestinationUserName: fc.constantFrom("root", "admin")
    },
    { requiredKeys: ["gap", "TenantID", "EventOutcome", "DestinationUserName"] }
  )

  it("fires the same (group, window start) pairs as the reference for random streams in timestamp order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        identicalFieldsArbitrary,
        fc.integer({ min: 1, max: 5 }),
        fc.array(eventFieldsArbitrary, { maxLength: 60 }),
        fc.array(fc.nat({ max: 60 }), { maxLength: 6 }),
        (threshold, identicalFields, windowSeconds, eventFields, batchCuts) => {
          let time = t0
          const events = eventFields.map(({ gap, SourceAddress, ...fields }) => {
            time += gap
            const event = baseEvent(time, fields)
            return SourceAddress === undefined ? withoutField(event, "SourceAddress") : { ...event, SourceAddress }
          })
          const rule = makeRule({ identicalFields, windowSeconds, selectors: [{ filter: failure, threshold }] })
          const engine = engineFor(rule)
          // Feed in random batches, advancing stream time to each batch's last event.
          const cuts = [...new Set(batchCuts.map((cut) => Math.min(cut, events.length)))].sort((a, b) => a - b)
          const fired: Array<Correlation> = []
          let start = 0
          for (const end of [...cuts, events.length]) {
            const batch = events.slice(start, end)
            fired.push(...engine.processBatch(batch))
            if (batch.length > 0) engine.advanceTo(batch[batch.length - 1]!.Timestamp)
            start = end
          }
          const expected = referenceFirings(events, (event) => event.EventOutcome === "failure", threshold, identicalFields, windowSeconds * 1000)
          const actual = fired.map((correlation) => ({
            values: identicalFields.length === 0 ? [] : groupKeyValues(correlation.groupKey),
            windowStart: correlation.event.StartTime,
            baseEventIds: correlation.event.BaseEventIDs
          }))
          expect(actual).toEqual(expected.map(({ firedAt: _firedAt, ...firing }) => firing))
          for (const correlation of fired) {
            expect(correlation.event.ID).toBe(deterministicId([correlatorId, "brute-force", correlation.groupKey, correlation.event.StartTime!, correlation.event.BaseEventIDs![0]!]))
            expect(correlation.event.TenantID).toBe("main")
          }
        }
      ),
      { numRuns: 500 }
    )
  })
})

describe("correlation event IDs (regression)", () => {
  it("two firings of one group opening in the same millisecond get different IDs", () => {
    const engine = engineFor(makeRule({ selectors: [{ filter: { and: [] }, threshold: 1 }] }))
    const event = (): NormalizedEvent => ({ ID: crypto.randomUUID(), Timestamp: 1_000, TenantID: tenant2, Type: 1, SourceAddress: "10.0.0.1" })
    const out = engine.processBatch([event(), event()])
    expect(out).toHaveLength(2)
    expect(out[0]!.event.ID).not.toBe(out[1]!.event.ID)
  })
})
