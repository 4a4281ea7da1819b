// The correlation engine against SPEC §1 and §4, one test per behaviour: simple, standard and
// operational rules, buckets, windows, thresholds, unique fields, recovery, triggers, actions,
// active lists with TTL, rate limits, stream time, the correlation event, rule validation,
// tenants, determinism and snapshots. Random streams against a reference: EngineProperties.test.ts.
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { decodeEventSync, type NormalizedEvent } from "../model/Event.ts"
import type { Filter } from "../model/Filter.ts"
import { TenantId } from "../model/Ids.ts"
import { CorrelatorSpec } from "../model/Rule.ts"
import { SnapshotCorrupt } from "./Bytes.ts"
import type { Correlation, EngineOutput } from "./Correlation.ts"
import { ProductName } from "./CorrelationEventBuilder.ts"
import { CorrelatorEngine, MaxLoopDepth } from "./CorrelatorEngine.ts"
import { deterministicId } from "./DeterministicId.ts"
import { MaxBaseEventIds } from "./GroupTable.ts"
import { InvalidRule } from "./RuleCompiler.ts"

const tenant2 = TenantId.make("tenant-2")
const tenant3 = TenantId.make("tenant-3")
/** Separates the values of a composite group key. */
const groupKeySeparator = "\u001f"
const UuidV5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

const failure: Filter = { field: "EventOutcome", op: "=", value: "failure" }
const success: Filter = { field: "EventOutcome", op: "=", value: "success" }
const everything: Filter = { and: [] }

/** A correlator decoded like a resource, so every default applies. */
const correlator = (
  rules: ReadonlyArray<Record<string, unknown>>,
  options: { readonly activeLists?: ReadonlyArray<Record<string, unknown>>; readonly tenantId?: string; readonly globalVariables?: Record<string, unknown> } = {}
): CorrelatorSpec =>
  Schema.decodeUnknownSync(CorrelatorSpec)({
    id: "correlator-1",
    tenantId: options.tenantId ?? "main",
    name: "Main correlator",
    sources: [{ tenantId: tenant2 }, { tenantId: tenant3 }],
    rules,
    activeLists: options.activeLists ?? [],
    globalVariables: options.globalVariables ?? {}
  })

const engineOf = (...args: Parameters<typeof correlator>): CorrelatorEngine => new CorrelatorEngine(correlator(...args))

/** The brute-force rule: three failures from one source address within a minute. */
const standard = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  kind: "standard",
  id: "brute-force",
  name: "Brute force",
  selectors: [{ name: "failures", filter: failure, threshold: 3 }],
  identicalFields: ["SourceAddress"],
  windowSeconds: 60,
  priority: 9,
  ...fields
})

const simple = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
  kind: "simple",
  id: "every-failure",
  name: "Every failure",
  selector: { filter: failure },
  ...fields
})

const t0 = Date.UTC(2024, 4, 1, 10, 0, 0)

let lastId = 0
/** A fresh, valid and reproducible event ID. */
const nextId = (): string => `00000000-0000-4000-8000-${(++lastId).toString(16).padStart(12, "0")}`

const baseEvent = (timestamp: number, fields: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  ID: nextId(),
  Timestamp: timestamp,
  TenantID: tenant2,
  Type: 1,
  EventOutcome: "failure",
  SourceAddress: "10.0.0.1",
  ...fields
})

const correlations = (output: EngineOutput): Array<Correlation> => output.correlations

/** Feeds one event per batch and returns every correlation, in order. */
const feed = (engine: CorrelatorEngine, events: ReadonlyArray<NormalizedEvent>): Array<Correlation> =>
  events.flatMap((event) => engine.processBatch([event]).correlations)

const ruleIds = (fired: ReadonlyArray<Correlation>): Array<string> => fired.map((correlation) => correlation.ruleId)
const triggers = (fired: ReadonlyArray<Correlation>): Array<string> => fired.map((correlation) => correlation.trigger)

/** The InvalidRule a correlator is refused with. */
const refusal = (spec: () => CorrelatorSpec): InvalidRule => {
  let error: unknown
  try {
    new CorrelatorEngine(spec())
  } catch (cause) {
    error = cause
  }
  expect(error).toBeInstanceOf(InvalidRule)
  return error as InvalidRule
}

describe("simple rules", () => {
  it("act on every matching event, and on no other", () => {
    const engine = engineOf([simple()])
    const fired = correlations(engine.processBatch([baseEvent(t0), baseEvent(t0 + 1, { EventOutcome: "success" }), baseEvent(t0 + 2)]))
    expect(triggers(fired)).toEqual(["onEveryEvent", "onEveryEvent"])
    expect(engine.liveGroups).toBe(0)
  })

  it("make a correlation event carrying the base event's fields, with its own identity, type and the correlator's tenant", () => {
    const base = baseEvent(t0, { SourcePort: 4242, DestinationUserName: "root", Message: "bad password", Extra: { k: "v" } })
    const [correlation] = correlations(engineOf([simple()]).processBatch([base]))
    expect(correlation!.event).toEqual({
      ID: expect.stringMatching(UuidV5),
      Timestamp: t0,
      TenantID: "main",
      Type: 2,
      Name: "Every failure",
      CorrelationRuleID: "every-failure",
      CorrelationRuleName: "Every failure",
      Priority: 5,
      ServiceID: "correlator-1",
      ServiceName: "Main correlator",
      DeviceVendor: ProductName,
      DeviceProduct: ProductName,
      BaseEventIDs: [base.ID],
      BaseEventCount: 1,
      GroupedBy: [],
      StartTime: t0,
      EndTime: t0,
      EventOutcome: "failure",
      SourceAddress: "10.0.0.1",
      SourcePort: 4242,
      DestinationUserName: "root",
      Message: "bad password",
      Extra: { k: "v" }
    })
    expect(correlation!.event.ID).not.toBe(base.ID)
    expect(correlation!.groupKey).toBe("")
  })
})

describe("standard rules: buckets and thresholds", () => {
  it("fire exactly when the threshold is reached, not before", () => {
    const engine = engineOf([standard()])
    expect(correlations(engine.processBatch([baseEvent(t0), baseEvent(t0 + 1_000)]))).toEqual([])
    const fired = correlations(engine.processBatch([baseEvent(t0 + 2_000)]))
    expect(triggers(fired)).toEqual(["onFirstThreshold"])
    expect(fired[0]!.event.BaseEventCount).toBe(3)
  })

  it("keep one bucket per tuple of identical-field values", () => {
    const engine = engineOf([standard({ identicalFields: ["SourceAddress", "DestinationUserName"], selectors: [{ filter: failure, threshold: 2 }] })])
    const a1 = (t: number) => baseEvent(t, { SourceAddress: "a", DestinationUserName: "root" })
    const a2 = (t: number) => baseEvent(t, { SourceAddress: "a", DestinationUserName: "admin" })
    const b1 = (t: number) => baseEvent(t, { SourceAddress: "b", DestinationUserName: "root" })
    expect(correlations(engine.processBatch([a1(t0), a2(t0 + 1), b1(t0 + 2)]))).toEqual([])
    expect(engine.liveGroups).toBe(3)
    const fired = correlations(engine.processBatch([a2(t0 + 3)]))
    expect(fired).toHaveLength(1)
    expect(fired[0]!.groupKey.split(groupKeySeparator)).toEqual(["a", "admin"])
    expect(fired[0]!.event).toMatchObject({ SourceAddress: "a", DestinationUserName: "admin", GroupedBy: ["SourceAddress", "DestinationUserName"] })
  })

  it("put every matching event in one bucket when there are no identical fields", () => {
    const fired = correlations(
      engineOf([standard({ identicalFields: [] })]).processBatch([
        baseEvent(t0, { SourceAddress: "a" }),
        baseEvent(t0 + 1, { SourceAddress: "b" }),
        baseEvent(t0 + 2, { SourceAddress: "c" })
      ])
    )
    expect(fired).toHaveLength(1)
    expect(fired[0]!.groupKey).toBe("")
    expect(fired[0]!.event.GroupedBy).toEqual([])
    expect(fired[0]!.event.SourceAddress).toBeUndefined()
  })

  it("group a numeric identical field by value and write it back as a number", () => {
    const engine = engineOf([standard({ identicalFields: ["DestinationPort"], selectors: [{ filter: failure, threshold: 2 }] })])
    const fired = feed(engine, [baseEvent(t0, { DestinationPort: 22 }), baseEvent(t0 + 1, { DestinationPort: 23 }), baseEvent(t0 + 2, { DestinationPort: 22 })])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.groupKey).toBe("22")
    expect(fired[0]!.event.DestinationPort).toBe(22)
  })

  it("ignore events that match no selector: they neither count nor open a bucket", () => {
    const engine = engineOf([standard({ selectors: [{ filter: failure, threshold: 1 }] })])
    expect(correlations(engine.processBatch([baseEvent(t0, { EventOutcome: "success" }), baseEvent(t0 + 1, { EventOutcome: "unknown" })]))).toEqual([])
    expect(engine.liveGroups).toBe(0)
  })

  it("open the window at the bucket's first event: it straddles any fixed grid", () => {
    const engine = engineOf([standard({ windowSeconds: 10, selectors: [{ filter: failure, threshold: 2 }] })])
    expect(feed(engine, [baseEvent(t0 + 5_000), baseEvent(t0 + 14_999)])).toHaveLength(1)
  })

  it("count an event one millisecond before the window ends; an event at the end opens a new window", () => {
    const engine = engineOf([standard({ windowSeconds: 10, selectors: [{ filter: failure, threshold: 2 }] })])
    expect(feed(engine, [baseEvent(t0), baseEvent(t0 + 9_999)])).toHaveLength(1)
    const other = engineOf([standard({ windowSeconds: 10, selectors: [{ filter: failure, threshold: 2 }] })])
    expect(feed(other, [baseEvent(t0), baseEvent(t0 + 10_000)])).toEqual([])
    const late = baseEvent(t0 + 10_001)
    const [correlation] = feed(other, [late])
    expect(correlation!.event.StartTime).toBe(t0 + 10_000)
    expect(correlation!.event.BaseEventIDs).toContain(late.ID)
  })

  it("keep windows per bucket: one bucket's end leaves another untouched", () => {
    const engine = engineOf([standard({ windowSeconds: 10, selectors: [{ filter: failure, threshold: 2 }] })])
    const fired = feed(engine, [
      baseEvent(t0, { SourceAddress: "a" }),
      baseEvent(t0 + 8_000, { SourceAddress: "b" }),
      baseEvent(t0 + 12_000, { SourceAddress: "a" }),
      baseEvent(t0 + 15_000, { SourceAddress: "b" })
    ])
    expect(fired.map((correlation) => correlation.groupKey)).toEqual(["b"])
  })

  it("fire only when every selector reached its own threshold, in any order", () => {
    const rule = standard({ selectors: [{ filter: failure, threshold: 2 }, { filter: success, threshold: 1 }] })
    const engine = engineOf([rule])
    expect(feed(engine, [baseEvent(t0), baseEvent(t0 + 1), baseEvent(t0 + 2), baseEvent(t0 + 3)])).toEqual([])
    const fired = feed(engine, [baseEvent(t0 + 4, { EventOutcome: "success" })])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.event.BaseEventCount).toBe(5)
    const reversed = engineOf([rule])
    expect(feed(reversed, [baseEvent(t0, { EventOutcome: "success" }), baseEvent(t0 + 1)])).toEqual([])
    expect(feed(reversed, [baseEvent(t0 + 2)])).toHaveLength(1)
    const onlySuccesses = Array.from({ length: 10 }, (_, i) => baseEvent(t0 + i, { EventOutcome: "success" }))
    expect(feed(engineOf([rule]), onlySuccesses)).toEqual([])
  })

  it("count an event that matches two selectors for both, and list it once", () => {
    const engine = engineOf([standard({ selectors: [{ filter: failure, threshold: 1 }, { filter: everything, threshold: 1 }] })])
    const event = baseEvent(t0)
    const [correlation] = feed(engine, [event])
    expect(correlation!.event.BaseEventIDs).toEqual([event.ID])
    expect(correlation!.event.BaseEventCount).toBe(1)
  })

  it("clear the bucket's events on a full match but keep its window: onFirstThreshold, then onSubsequentThresholds", () => {
    const engine = engineOf([
      standard({
        windowSeconds: 10,
        selectors: [{ filter: failure, threshold: 2 }],
        actions: [{ trigger: "onFirstThreshold" }, { trigger: "onSubsequentThresholds" }]
      })
    ])
    const events = [t0, t0 + 1_000, t0 + 2_000, t0 + 3_000, t0 + 4_000, t0 + 5_000].map((t) => baseEvent(t))
    const fired = feed(engine, events)
    expect(triggers(fired)).toEqual(["onFirstThreshold", "onSubsequentThresholds", "onSubsequentThresholds"])
    expect(fired.map((correlation) => correlation.event.BaseEventIDs)).toEqual([
      [events[0]!.ID, events[1]!.ID],
      [events[2]!.ID, events[3]!.ID],
      [events[4]!.ID, events[5]!.ID]
    ])
    expect(fired.map((correlation) => [correlation.event.StartTime, correlation.event.EndTime])).toEqual([
      [t0, t0 + 1_000],
      [t0 + 2_000, t0 + 3_000],
      [t0 + 4_000, t0 + 5_000]
    ])
    expect(engine.liveGroups).toBe(1)
    // A new window starts over with onFirstThreshold.
    expect(triggers(feed(engine, [baseEvent(t0 + 10_000), baseEvent(t0 + 10_001)]))).toEqual(["onFirstThreshold"])
  })

  it("by default act only on the first threshold of a window: later full matches reset silently", () => {
    const engine = engineOf([standard({ selectors: [{ filter: failure, threshold: 2 }] })])
    const fired = feed(engine, Array.from({ length: 6 }, (_, i) => baseEvent(t0 + i)))
    expect(triggers(fired)).toEqual(["onFirstThreshold"])
  })

  it("return several firings of one batch in stream order", () => {
    const fired = correlations(
      engineOf([standard({ selectors: [{ filter: failure, threshold: 2 }] })]).processBatch([
        baseEvent(t0, { SourceAddress: "a" }),
        baseEvent(t0 + 1, { SourceAddress: "b" }),
        baseEvent(t0 + 2, { SourceAddress: "b" }),
        baseEvent(t0 + 3, { SourceAddress: "a" })
      ])
    )
    expect(fired.map((correlation) => correlation.groupKey)).toEqual(["b", "a"])
  })

  it("let each rule of a correlator count the same events independently, in rule order", () => {
    const engine = engineOf([
      standard({ id: "fast", name: "Fast", selectors: [{ filter: failure, threshold: 2 }], actions: [{ trigger: "onFirstThreshold" }, { trigger: "onSubsequentThresholds" }] }),
      standard({ id: "slow", name: "Slow", selectors: [{ filter: failure, threshold: 3 }] })
    ])
    const fired = feed(engine, [baseEvent(t0), baseEvent(t0 + 1), baseEvent(t0 + 2), baseEvent(t0 + 3)])
    expect(ruleIds(fired)).toEqual(["fast", "slow", "fast"])
    expect(fired.map((correlation) => correlation.event.CorrelationRuleName)).toEqual(["Fast", "Slow", "Fast"])
    // When one event completes both rules, rule order decides.
    const tie = engineOf([
      standard({ id: "second", name: "Second", selectors: [{ filter: failure, threshold: 1 }] }),
      standard({ id: "first", name: "First", selectors: [{ filter: failure, threshold: 1 }] })
    ])
    expect(ruleIds(feed(tie, [baseEvent(t0)]))).toEqual(["second", "first"])
  })

  it("list at most MaxBaseEventIds base event IDs while BaseEventCount keeps counting", () => {
    const threshold = MaxBaseEventIds + 200
    const events = Array.from({ length: threshold }, (_, i) => baseEvent(t0 + i))
    const [correlation] = correlations(engineOf([standard({ selectors: [{ filter: failure, threshold }] })]).processBatch(events))
    expect(correlation!.event.BaseEventCount).toBe(threshold)
    expect(correlation!.event.BaseEventIDs).toEqual(events.slice(0, MaxBaseEventIds).map((event) => event.ID))
    expect([correlation!.event.StartTime, correlation!.event.EndTime]).toEqual([t0, t0 + threshold - 1])
  })
})

describe("standard rules: unique fields", () => {
  it("count an event only when its unique-field values are new to the bucket", () => {
    const engine = engineOf([standard({ uniqueFields: ["DestinationUserName"] })])
    const root = baseEvent(t0, { DestinationUserName: "root" })
    const again = baseEvent(t0 + 1, { DestinationUserName: "root" })
    const admin = baseEvent(t0 + 2, { DestinationUserName: "admin" })
    const guest = baseEvent(t0 + 3, { DestinationUserName: "guest" })
    expect(feed(engine, [root, again, admin])).toEqual([])
    const [correlation] = feed(engine, [guest])
    expect(correlation!.event.BaseEventIDs).toEqual([root.ID, admin.ID, guest.ID])
    expect(correlation!.event.BaseEventCount).toBe(3)
    // The unique field of the event that completed the match is copied.
    expect(correlation!.event.DestinationUserName).toBe("guest")
  })

  it("forget the seen values after a full match", () => {
    const engine = engineOf([
      standard({ uniqueFields: ["DestinationUserName"], selectors: [{ filter: failure, threshold: 2 }], actions: [{ trigger: "onFirstThreshold" }, { trigger: "onSubsequentThresholds" }] })
    ])
    const users = ["root", "admin", "root", "admin"]
    expect(triggers(feed(engine, users.map((user, i) => baseEvent(t0 + i, { DestinationUserName: user }))))).toEqual(["onFirstThreshold", "onSubsequentThresholds"])
  })

  it("track the seen values per selector", () => {
    // The first event counts for 'any' only; the second is new to 'failures' though 'any' saw its value.
    const engine = engineOf([
      standard({ uniqueFields: ["DestinationUserName"], selectors: [{ name: "failures", filter: failure, threshold: 1 }, { name: "any", filter: everything, threshold: 1 }] })
    ])
    const first = baseEvent(t0, { EventOutcome: "success", DestinationUserName: "root" })
    const second = baseEvent(t0 + 1, { EventOutcome: "failure", DestinationUserName: "root" })
    expect(feed(engine, [first])).toEqual([])
    const [correlation] = feed(engine, [second])
    expect(correlation!.event.BaseEventIDs).toEqual([first.ID, second.ID])
  })

  it("treat a tuple of unique fields as one value", () => {
    const engine = engineOf([standard({ uniqueFields: ["DestinationUserName", "DestinationPort"], selectors: [{ filter: failure, threshold: 3 }] })])
    const fired = feed(engine, [
      baseEvent(t0, { DestinationUserName: "root", DestinationPort: 22 }),
      baseEvent(t0 + 1, { DestinationUserName: "root", DestinationPort: 22 }),
      baseEvent(t0 + 2, { DestinationUserName: "root", DestinationPort: 23 }),
      baseEvent(t0 + 3, { DestinationUserName: "admin", DestinationPort: 22 })
    ])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.event.BaseEventCount).toBe(3)
  })
})

describe("standard rules: recovery", () => {
  const rule = standard({
    windowSeconds: 10,
    selectors: [{ filter: failure, threshold: 2 }, { name: "recovered", filter: success, recovery: true }],
    actions: [{ trigger: "onFirstThreshold" }, { trigger: "onTimeout" }]
  })

  it("a recovery event closes the bucket without firing; the next event starts a new window", () => {
    const engine = engineOf([rule])
    const first = baseEvent(t0)
    expect(feed(engine, [first, baseEvent(t0 + 1_000, { EventOutcome: "success" })])).toEqual([])
    expect(engine.liveGroups).toBe(0)
    const third = baseEvent(t0 + 2_000)
    expect(feed(engine, [third])).toEqual([])
    const fourth = baseEvent(t0 + 3_000)
    const [correlation] = feed(engine, [fourth])
    expect(correlation!.event.BaseEventIDs).toEqual([third.ID, fourth.ID])
    // The recovered window's timeout never comes; the new window's (opened at t0+2000) does, empty.
    expect(correlations(engine.tick(t0 + 30_000))).toEqual([])
  })

  it("a recovery event of another group or with no open bucket changes nothing", () => {
    const engine = engineOf([rule])
    expect(feed(engine, [baseEvent(t0, { EventOutcome: "success" })])).toEqual([])
    expect(engine.liveGroups).toBe(0)
    expect(feed(engine, [baseEvent(t0 + 1), baseEvent(t0 + 2, { EventOutcome: "success", SourceAddress: "elsewhere" }), baseEvent(t0 + 3)])).toHaveLength(1)
  })

  it("onTimeout with a recovery selector detects what did not happen", () => {
    const rule = standard({
      id: "no-logout",
      name: "Session not closed",
      identicalFields: ["SourceUserName"],
      windowSeconds: 60,
      selectors: [
        { name: "login", filter: { field: "DeviceAction", op: "=", value: "login" }, threshold: 2 },
        { name: "logout", filter: { field: "DeviceAction", op: "=", value: "logout" }, recovery: true }
      ],
      actions: [{ trigger: "onTimeout" }]
    })
    const engine = engineOf([rule])
    const alice = baseEvent(t0, { SourceUserName: "alice", DeviceAction: "login" })
    feed(engine, [alice, baseEvent(t0 + 1_000, { SourceUserName: "bob", DeviceAction: "login" }), baseEvent(t0 + 2_000, { SourceUserName: "bob", DeviceAction: "logout" })])
    const fired = correlations(engine.tick(t0 + 60_000))
    expect(fired.map((correlation) => correlation.groupKey)).toEqual(["alice"])
    expect(fired[0]!.event.BaseEventIDs).toEqual([alice.ID])
  })
})

describe("standard rules: onTimeout and onEveryEvent", () => {
  it("onTimeout fires at the window's end with the events since the last full match", () => {
    const engine = engineOf([standard({ windowSeconds: 10, actions: [{ trigger: "onTimeout" }] })])
    const events = [baseEvent(t0), baseEvent(t0 + 1_000)]
    feed(engine, events)
    expect(correlations(engine.tick(t0 + 9_999))).toEqual([])
    expect(engine.liveGroups).toBe(1)
    const fired = correlations(engine.tick(t0 + 10_000))
    expect(triggers(fired)).toEqual(["onTimeout"])
    expect(fired[0]!.event).toMatchObject({ Timestamp: t0 + 10_000, StartTime: t0, EndTime: t0 + 1_000, BaseEventCount: 2, BaseEventIDs: events.map((e) => e.ID), SourceAddress: "10.0.0.1" })
    expect(engine.liveGroups).toBe(0)
  })

  it("onTimeout does not fire when the window ends right after a full match, and carries only later events", () => {
    const rule = standard({ windowSeconds: 10, selectors: [{ filter: failure, threshold: 2 }], actions: [{ trigger: "onFirstThreshold" }, { trigger: "onTimeout" }] })
    const quiet = engineOf([rule])
    expect(triggers(feed(quiet, [baseEvent(t0), baseEvent(t0 + 1)]))).toEqual(["onFirstThreshold"])
    expect(correlations(quiet.tick(t0 + 10_000))).toEqual([])
    const busy = engineOf([rule])
    const straggler = baseEvent(t0 + 2)
    feed(busy, [baseEvent(t0), baseEvent(t0 + 1), straggler])
    const fired = correlations(busy.tick(t0 + 10_000))
    expect(triggers(fired)).toEqual(["onTimeout"])
    expect(fired[0]!.event.BaseEventIDs).toEqual([straggler.ID])
  })

  it("a later event, not only a tick, ends the window first", () => {
    const engine = engineOf([standard({ windowSeconds: 10, actions: [{ trigger: "onTimeout" }, { trigger: "onFirstThreshold" }], selectors: [{ filter: failure, threshold: 1 }, { filter: success, threshold: 1 }] })])
    feed(engine, [baseEvent(t0)])
    const fired = feed(engine, [baseEvent(t0 + 20_000), baseEvent(t0 + 20_001, { EventOutcome: "success" })])
    expect(triggers(fired)).toEqual(["onTimeout", "onFirstThreshold"])
    expect(fired.map((correlation) => correlation.event.Timestamp)).toEqual([t0 + 10_000, t0 + 20_001])
  })

  it("onEveryEvent fires for each counted event of a bucket, not for one a unique field discards", () => {
    const engine = engineOf([standard({ uniqueFields: ["DestinationUserName"], actions: [{ trigger: "onEveryEvent" }] })])
    const first = baseEvent(t0, { DestinationUserName: "root" })
    const fired = feed(engine, [first, baseEvent(t0 + 1, { DestinationUserName: "root" }), baseEvent(t0 + 2, { DestinationUserName: "admin" })])
    expect(triggers(fired)).toEqual(["onEveryEvent", "onEveryEvent"])
    expect(fired[0]!.event.BaseEventIDs).toEqual([first.ID])
    expect(fired[0]!.event.BaseEventCount).toBe(1)
    expect(fired[0]!.groupKey).toBe("10.0.0.1")
  })
})

describe("operational rules", () => {
  const lists = [{ name: "seen", ttlSeconds: 60 }]
  const remember = {
    kind: "operational",
    id: "remember",
    name: "Remember",
    selector: { filter: failure },
    activeLists: [{ op: "set", list: "seen", keyFields: ["SourceAddress"], mapping: [{ listField: "user", eventField: "DestinationUserName" }] }]
  }
  const forget = {
    kind: "operational",
    id: "forget",
    name: "Forget",
    selector: { filter: success },
    activeLists: [{ op: "delete", list: "seen", keyFields: ["SourceAddress"] }]
  }

  it("act on active lists for every matching event and make no correlation events", () => {
    const engine = engineOf([remember, forget], { activeLists: lists })
    const output = engine.processBatch([baseEvent(t0, { SourceAddress: "a" }), baseEvent(t0 + 1, { SourceAddress: "b" }), baseEvent(t0 + 2, { SourceAddress: "a" })])
    expect(output).toEqual({ correlations: [], serviceEvents: [] })
    expect(engine.activeListSize("seen")).toBe(2)
    engine.processBatch([baseEvent(t0 + 3, { SourceAddress: "a", EventOutcome: "success" })])
    expect(engine.activeListSize("seen")).toBe(1)
  })

  it("a deleted record neither expires nor answers inActiveList", () => {
    const check = simple({ id: "check", name: "Check", selector: { filter: { and: [{ field: "Message", op: "=", value: "check" }, { op: "inActiveList", list: "seen", keyFields: ["SourceAddress"] }] } } })
    const engine = engineOf([remember, forget, check], { activeLists: lists })
    engine.processBatch([baseEvent(t0), baseEvent(t0 + 1, { EventOutcome: "success" })])
    expect(correlations(engine.processBatch([baseEvent(t0 + 2, { Message: "check", EventOutcome: "other" })]))).toEqual([])
    expect(engine.tick(t0 + 120_000)).toEqual({ correlations: [], serviceEvents: [] })
  })
})

describe("actions", () => {
  it("correlationEvent: false emits nothing but still runs the action's list operations", () => {
    const engine = engineOf(
      [simple({ actions: [{ trigger: "onEveryEvent", correlationEvent: false, activeLists: [{ op: "set", list: "seen", keyFields: ["SourceAddress"] }] }] })],
      { activeLists: [{ name: "seen" }] }
    )
    expect(correlations(engine.processBatch([baseEvent(t0)]))).toEqual([])
    expect(engine.activeListSize("seen")).toBe(1)
  })

  it("noAlert and sendTo travel with the correlation; each action of a trigger makes its own event", () => {
    const engine = engineOf([simple({ actions: [{ trigger: "onEveryEvent" }, { trigger: "onEveryEvent", noAlert: true, sendTo: ["central", "backup"] }] })])
    const [plain, forwarded, ...rest] = correlations(engine.processBatch([baseEvent(t0)]))
    expect(rest).toEqual([])
    expect([plain!.createAlert, plain!.sendTo]).toEqual([true, []])
    expect([forwarded!.createAlert, forwarded!.sendTo]).toEqual([false, ["central", "backup"]])
    expect(plain!.event.ID).not.toBe(forwarded!.event.ID)
    expect(plain!.correlatorId).toBe("correlator-1")
  })

  it("loop feeds the correlation event back into this correlator right after its cause, before the next input", () => {
    const engine = engineOf([
      standard({ selectors: [{ filter: failure, threshold: 2 }], actions: [{ trigger: "onFirstThreshold", loop: true }] }),
      simple({ id: "on-brute-force", name: "On brute force", selector: { filter: { field: "CorrelationRuleID", op: "=", value: "brute-force" } } }),
      simple({ id: "next", name: "Next", selector: { filter: { field: "Message", op: "=", value: "next" } } })
    ])
    const fired = correlations(engine.processBatch([baseEvent(t0), baseEvent(t0 + 1), baseEvent(t0 + 2, { Message: "next", EventOutcome: "other" })]))
    expect(ruleIds(fired)).toEqual(["brute-force", "on-brute-force", "next"])
    expect(fired[1]!.event.BaseEventIDs).toEqual([fired[0]!.event.ID])
    expect(fired[1]!.event.CorrelationRuleID).toBe("on-brute-force")
  })

  it("loop stops at MaxLoopDepth: a rule matching its own output fires once per depth", () => {
    expect(MaxLoopDepth).toBe(8)
    const engine = engineOf([simple({ selector: { filter: everything }, actions: [{ trigger: "onEveryEvent", loop: true }] })])
    const fired = correlations(engine.processBatch([baseEvent(t0)]))
    expect(fired).toHaveLength(MaxLoopDepth + 1)
    for (let i = 1; i < fired.length; i++) expect(fired[i]!.event.BaseEventIDs).toEqual([fired[i - 1]!.event.ID])
    expect(new Set(fired.map((correlation) => correlation.event.ID)).size).toBe(fired.length)
  })

  it("active lists: set keys the record by the key fields joined by '|' and stores the mapped fields", () => {
    const engine = engineOf(
      [
        simple({
          actions: [
            {
              trigger: "onEveryEvent",
              activeLists: [
                {
                  op: "set",
                  list: "seen",
                  keyFields: ["SourceAddress", "DestinationUserName"],
                  mapping: [{ listField: "user", eventField: "DestinationUserName" }, { listField: "origin", constant: "brute" }]
                }
              ]
            }
          ]
        })
      ],
      { activeLists: [{ name: "seen", ttlSeconds: 10 }] }
    )
    engine.processBatch([baseEvent(t0, { DestinationUserName: "root" })])
    const [expired] = engine.tick(t0 + 10_000).serviceEvents
    expect(expired).toMatchObject({ DeviceCustomString1: "seen", DeviceCustomString2: "10.0.0.1|root", Extra: { user: "root", origin: "brute" } })
  })

  it("active lists: get copies a record's fields into the correlation event; a missing key copies nothing", () => {
    const engine = engineOf(
      [
        { kind: "operational", id: "remember", name: "Remember", selector: { filter: success }, activeLists: [{ op: "set", list: "owners", keyFields: ["SourceAddress"], mapping: [{ listField: "owner", eventField: "SourceUserName" }] }] },
        standard({
          selectors: [{ filter: failure, threshold: 1 }],
          actions: [{ trigger: "onFirstThreshold", activeLists: [{ op: "get", list: "owners", keyFields: ["SourceAddress"], mapping: [{ listField: "owner", eventField: "DestinationUserName" }, { listField: "owner", eventField: "Extra.owner" }] }] }]
        })
      ],
      { activeLists: [{ name: "owners" }] }
    )
    const fired = feed(engine, [
      baseEvent(t0, { SourceAddress: "a", EventOutcome: "success", SourceUserName: "alice" }),
      baseEvent(t0 + 1, { SourceAddress: "a" }),
      baseEvent(t0 + 2, { SourceAddress: "b" })
    ])
    expect(fired[0]!.event).toMatchObject({ DestinationUserName: "alice", Extra: { owner: "alice" } })
    expect(fired[1]!.event.DestinationUserName).toBeUndefined()
    expect(fired[1]!.event.Extra).toBeUndefined()
  })

  it("active lists: set merges into a live record and delete removes it", () => {
    const setUser = { op: "set", list: "seen", keyFields: ["SourceAddress"], mapping: [{ listField: "user", eventField: "DestinationUserName" }] }
    const setHost = { op: "set", list: "seen", keyFields: ["SourceAddress"], mapping: [{ listField: "host", eventField: "DestinationHostName" }] }
    const engine = engineOf(
      [
        { kind: "operational", id: "user", name: "User", selector: { filter: { field: "Message", op: "=", value: "user" } }, activeLists: [setUser] },
        { kind: "operational", id: "host", name: "Host", selector: { filter: { field: "Message", op: "=", value: "host" } }, activeLists: [setHost] },
        { kind: "operational", id: "drop", name: "Drop", selector: { filter: { field: "Message", op: "=", value: "drop" } }, activeLists: [{ op: "delete", list: "seen", keyFields: ["SourceAddress"] }] }
      ],
      { activeLists: [{ name: "seen", ttlSeconds: 10 }] }
    )
    engine.processBatch([baseEvent(t0, { Message: "user", DestinationUserName: "root" }), baseEvent(t0 + 1_000, { Message: "host", DestinationHostName: "db1" })])
    const [expired] = engine.tick(t0 + 11_000).serviceEvents
    expect(expired!.Extra).toEqual({ user: "root", host: "db1" })
    engine.processBatch([baseEvent(t0 + 20_000, { Message: "user", DestinationUserName: "admin" }), baseEvent(t0 + 20_001, { Message: "drop" })])
    expect(engine.activeListSize("seen")).toBe(0)
  })

  it("enrichment writes constants, base event fields, templates and variables into the correlation event", () => {
    const engine = engineOf(
      [
        standard({
          selectors: [{ filter: failure, threshold: 1 }],
          variables: { port: { field: "DestinationPort" } },
          actions: [
            {
              trigger: "onFirstThreshold",
              enrichment: [
                { target: "Name", source: { template: "Brute force from {{.SourceAddress}}:{{.SourcePort}}" } },
                { target: "DeviceCustomString1", source: { field: "SourceUserName" } },
                { target: "DeviceCustomNumber1", source: { constant: "42" } },
                { target: "Extra.reason", source: { constant: "too many failures" } },
                { target: "DestinationPort", source: { field: "$port" } }
              ]
            }
          ]
        })
      ],
      { globalVariables: {} }
    )
    const [correlation] = feed(engine, [baseEvent(t0, { SourcePort: 4242, SourceUserName: "mallory", DestinationPort: 22 })])
    expect(correlation!.event).toMatchObject({
      Name: "Brute force from 10.0.0.1:4242",
      CorrelationRuleName: "Brute force",
      DeviceCustomString1: "mallory",
      DeviceCustomNumber1: 42,
      Extra: { reason: "too many failures" },
      DestinationPort: 22
    })
    expect(decodeEventSync(correlation!.event)).toEqual(correlation!.event)
  })
})

describe("selectors use the filter language", () => {
  it("match (RE2) and inSubnet work in selectors, next to indexed comparisons", () => {
    const engine = engineOf([
      simple({ id: "admins", name: "Admins", selector: { filter: { and: [failure, { field: "DestinationUserName", op: "match", pattern: "^adm(in)?[0-9]*$" }] } } }),
      simple({ id: "internal", name: "Internal", selector: { filter: { field: "SourceAddress", op: "inSubnet", cidrs: ["10.0.0.0/8", "fd00::/8"] } } })
    ])
    const fired = feed(engine, [
      baseEvent(t0, { DestinationUserName: "admin2", SourceAddress: "192.168.1.1" }),
      baseEvent(t0 + 1, { DestinationUserName: "badmin", SourceAddress: "10.1.2.3" }),
      baseEvent(t0 + 2, { DestinationUserName: "adm", SourceAddress: "fd00::1", EventOutcome: "success" })
    ])
    expect(fired.map((correlation) => [correlation.ruleId, correlation.event.Timestamp])).toEqual([
      ["admins", t0],
      ["internal", t0 + 1],
      ["internal", t0 + 2]
    ])
  })
})

describe("variables in selectors", () => {
  it("a local variable can be the field of a condition, and a global one its value; the local wins", () => {
    const engine = engineOf(
      [
        simple({
          variables: { user: { field: "DestinationUserName" } },
          selector: { filter: { and: [{ field: "$user", op: "=", value: "root" }, { field: "SourceUserName", op: "=", value: { variable: "expected" } }] } }
        })
      ],
      { globalVariables: { user: { constant: "nobody" }, expected: { template: "{{.DestinationUserName}}-admin" } } }
    )
    const fired = feed(engine, [
      baseEvent(t0, { DestinationUserName: "root", SourceUserName: "root-admin" }),
      baseEvent(t0 + 1, { DestinationUserName: "root", SourceUserName: "root" }),
      baseEvent(t0 + 2, { DestinationUserName: "alice", SourceUserName: "alice-admin" })
    ])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.event.SourceUserName).toBe("root-admin")
  })

  it("a variable can be an identical field: it groups but is not listed in GroupedBy", () => {
    const engine = engineOf([standard({ variables: { subnet: { template: "{{.SourceHostName}}-net" } }, identicalFields: ["$subnet"], selectors: [{ filter: failure, threshold: 2 }] })])
    const fired = feed(engine, [baseEvent(t0, { SourceHostName: "x", SourceAddress: "1" }), baseEvent(t0 + 1, { SourceHostName: "y" }), baseEvent(t0 + 2, { SourceHostName: "x", SourceAddress: "2" })])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.groupKey).toBe("x-net")
    expect(fired[0]!.event.GroupedBy).toEqual([])
  })
})

describe("rate limit", () => {
  it("allows at most rateLimit firings per second of stream time", () => {
    const engine = engineOf([simple({ rateLimit: 2 })])
    const fired = feed(engine, [t0, t0 + 100, t0 + 200, t0 + 999, t0 + 1_000, t0 + 1_500, t0 + 1_600].map((t) => baseEvent(t)))
    expect(fired.map((correlation) => correlation.event.Timestamp)).toEqual([t0, t0 + 100, t0 + 1_000, t0 + 1_500])
  })

  it("limits the firings of a standard rule, whose suppressed full matches still clear the bucket", () => {
    const engine = engineOf([standard({ rateLimit: 1, selectors: [{ filter: failure, threshold: 1 }], identicalFields: ["SourceAddress"] })])
    const fired = feed(engine, [baseEvent(t0, { SourceAddress: "a" }), baseEvent(t0 + 1, { SourceAddress: "b" }), baseEvent(t0 + 1_000, { SourceAddress: "c" })])
    expect(fired.map((correlation) => correlation.groupKey)).toEqual(["a", "c"])
  })

  it("0 means no limit", () => {
    expect(feed(engineOf([simple()]), Array.from({ length: 50 }, () => baseEvent(t0)))).toHaveLength(50)
  })
})

describe("active lists with TTL", () => {
  const remember = (ttlSeconds: number) =>
    engineOf(
      [
        { kind: "operational", id: "remember", name: "Remember", selector: { filter: failure }, activeLists: [{ op: "set", list: "seen", keyFields: ["SourceAddress"], mapping: [{ listField: "user", eventField: "DestinationUserName" }] }] },
        simple({ id: "on-expiry", name: "On expiry", selector: { filter: { and: [{ field: "DeviceEventCategory", op: "=", value: "ActiveList" }, { field: "DeviceCustomString1", op: "=", value: "seen" }] } } }),
        simple({ id: "check", name: "Check", selector: { filter: { and: [{ field: "Message", op: "=", value: "check" }, { op: "inActiveList", list: "seen", keyFields: ["SourceAddress"] }] } } })
      ],
      { activeLists: [{ name: "seen", ttlSeconds }] }
    )

  it("a record expires after the list's TTL in stream time and becomes a service event", () => {
    const engine = remember(30)
    engine.processBatch([baseEvent(t0, { DestinationUserName: "root" })])
    expect(engine.tick(t0 + 29_999)).toEqual({ correlations: [], serviceEvents: [] })
    expect(engine.activeListSize("seen")).toBe(1)
    const { serviceEvents } = engine.tick(t0 + 30_000)
    expect(engine.activeListSize("seen")).toBe(0)
    expect(serviceEvents).toEqual([
      {
        ID: expect.stringMatching(UuidV5),
        Timestamp: t0 + 30_000,
        TenantID: "main",
        Type: 5,
        Name: "Active list record expired",
        DeviceVendor: "Corvus",
        DeviceProduct: "Corvus",
        DeviceEventCategory: "ActiveList",
        DeviceAction: "expired",
        ServiceID: "correlator-1",
        ServiceName: "Main correlator",
        DeviceCustomString1: "seen",
        DeviceCustomString1Label: "ActiveListName",
        DeviceCustomString2: "10.0.0.1",
        DeviceCustomString2Label: "ActiveListKey",
        Extra: { user: "root" }
      }
    ])
    expect(decodeEventSync(serviceEvents[0]!)).toEqual(serviceEvents[0])
  })

  it("the expiry service event is matched by the correlator's own rules", () => {
    const engine = remember(30)
    engine.processBatch([baseEvent(t0)])
    const { correlations: fired, serviceEvents } = engine.tick(t0 + 30_000)
    expect(ruleIds(fired)).toEqual(["on-expiry"])
    expect(fired[0]!.event.BaseEventIDs).toEqual([serviceEvents[0]!.ID])
  })

  it("a record is live until its expiry; at the expiry instant an event no longer finds it", () => {
    const engine = remember(30)
    engine.processBatch([baseEvent(t0)])
    expect(ruleIds(correlations(engine.processBatch([baseEvent(t0 + 29_999, { Message: "check", EventOutcome: "x" })])))).toEqual(["check"])
    const output = engine.processBatch([baseEvent(t0 + 30_000, { Message: "check", EventOutcome: "x" })])
    // The expiry runs first (its service event and rule), then the event, which misses the record.
    expect(ruleIds(output.correlations)).toEqual(["on-expiry"])
    expect(output.serviceEvents).toHaveLength(1)
  })

  it("setting a record again restarts its TTL", () => {
    const engine = remember(30)
    engine.processBatch([baseEvent(t0), baseEvent(t0 + 20_000)])
    expect(engine.tick(t0 + 49_999).serviceEvents).toEqual([])
    expect(engine.tick(t0 + 50_000).serviceEvents).toHaveLength(1)
  })

  it("TTL 0 keeps a record forever", () => {
    const engine = remember(0)
    engine.processBatch([baseEvent(t0)])
    expect(engine.tick(t0 + 10 * 365 * 86_400_000)).toEqual({ correlations: [], serviceEvents: [] })
    expect(engine.activeListSize("seen")).toBe(1)
  })

  it("records expire in deadline order across lists, ties in write order", () => {
    const setIn = (list: string, id: string) => ({ kind: "operational", id, name: id, selector: { filter: { field: "Type", op: "=", value: 1 } }, activeLists: [{ op: "set", list, keyFields: ["SourceAddress"] }] })
    const engine = engineOf([setIn("slow", "a"), setIn("fast", "b"), setIn("fast2", "c")], {
      activeLists: [{ name: "slow", ttlSeconds: 30 }, { name: "fast", ttlSeconds: 10 }, { name: "fast2", ttlSeconds: 10 }]
    })
    engine.processBatch([baseEvent(t0)])
    const { serviceEvents } = engine.tick(t0 + 60_000)
    expect(serviceEvents.map((event) => [event.DeviceCustomString1, event.Timestamp])).toEqual([
      ["fast", t0 + 10_000],
      ["fast2", t0 + 10_000],
      ["slow", t0 + 30_000]
    ])
  })
})

describe("stream time", () => {
  it("runs every deadline up to a later event in time order before the event", () => {
    const engine = engineOf(
      [
        standard({ windowSeconds: 10, actions: [{ trigger: "onTimeout" }] }),
        { kind: "operational", id: "remember", name: "Remember", selector: { filter: success }, activeLists: [{ op: "set", list: "seen", keyFields: ["SourceAddress"] }] },
        simple({ id: "on-expiry", name: "On expiry", selector: { filter: { field: "DeviceEventCategory", op: "=", value: "ActiveList" } } }),
        simple({ id: "now", name: "Now", selector: { filter: { field: "Message", op: "=", value: "now" } } })
      ],
      { activeLists: [{ name: "seen", ttlSeconds: 5 }] }
    )
    engine.processBatch([
      baseEvent(t0, { SourceAddress: "a" }),
      baseEvent(t0 + 1_000, { SourceAddress: "x", EventOutcome: "success" }),
      baseEvent(t0 + 2_000, { SourceAddress: "b" })
    ])
    const fired = correlations(engine.processBatch([baseEvent(t0 + 20_000, { Message: "now", EventOutcome: "x" })]))
    expect(fired.map((correlation) => [correlation.ruleId, correlation.event.Timestamp])).toEqual([
      ["on-expiry", t0 + 6_000],
      ["brute-force", t0 + 10_000],
      ["brute-force", t0 + 12_000],
      ["now", t0 + 20_000]
    ])
  })

  it("a tick does what a later event would do; a tick into the past does nothing", () => {
    const engine = engineOf([standard({ windowSeconds: 10, actions: [{ trigger: "onTimeout" }] })])
    engine.processBatch([baseEvent(t0)])
    expect(engine.tick(t0 - 5_000)).toEqual({ correlations: [], serviceEvents: [] })
    expect(engine.streamTime).toBe(t0)
    expect(triggers(correlations(engine.tick(t0 + 10_000)))).toEqual(["onTimeout"])
    expect(engine.streamTime).toBe(t0 + 10_000)
  })

  it("streamTime is the latest Timestamp seen", () => {
    const engine = engineOf([standard()])
    expect(engine.streamTime).toBe(Number.NEGATIVE_INFINITY)
    engine.processBatch([baseEvent(t0 + 5_000), baseEvent(t0 + 1_000)])
    expect(engine.streamTime).toBe(t0 + 5_000)
  })
})

describe("the correlation event (SPEC §4)", () => {
  it("has type 2, the rule, priority, correlator, product, base events, grouping, identical and unique values, start and end", () => {
    const engine = new CorrelatorEngine(
      correlator([standard({ identicalFields: ["SourceAddress", "DestinationUserName"], uniqueFields: ["SourcePort"], priority: 13 })], { tenantId: "tenant-3" })
    )
    const events = [1_000, 5_000, 9_000].map((offset, i) => baseEvent(t0 + offset, { DestinationUserName: "root", SourcePort: 1111 * (i + 1), Message: `m${i}` }))
    const [correlation, ...rest] = correlations(engine.processBatch(events))
    expect(rest).toEqual([])
    expect(correlation!).toMatchObject({ correlatorId: "correlator-1", ruleId: "brute-force", trigger: "onFirstThreshold", createAlert: true, sendTo: [] })
    expect(correlation!.groupKey.split(groupKeySeparator)).toEqual(["10.0.0.1", "root"])
    expect(correlation!.event).toEqual({
      ID: expect.stringMatching(UuidV5),
      Timestamp: t0 + 9_000,
      TenantID: "tenant-3",
      Type: 2,
      Name: "Brute force",
      CorrelationRuleID: "brute-force",
      CorrelationRuleName: "Brute force",
      Priority: 13,
      ServiceID: "correlator-1",
      ServiceName: "Main correlator",
      DeviceVendor: "Corvus",
      DeviceProduct: "Corvus",
      BaseEventIDs: events.map((event) => event.ID),
      BaseEventCount: 3,
      GroupedBy: ["SourceAddress", "DestinationUserName"],
      StartTime: t0 + 1_000,
      EndTime: t0 + 9_000,
      SourceAddress: "10.0.0.1",
      DestinationUserName: "root",
      SourcePort: 3333
    })
    expect(decodeEventSync(correlation!.event)).toEqual(correlation!.event)
  })

  it("takes priority 5 from a rule that does not set one", () => {
    const { priority: _priority, ...rule } = standard({ selectors: [{ filter: failure }] })
    expect(correlations(engineOf([rule]).processBatch([baseEvent(t0)]))[0]!.event.Priority).toBe(5)
  })
})

describe("invalid rules are refused with InvalidRule and a path", () => {
  it("an unknown identical field", () => {
    const error = refusal(() => correlator([standard({ identicalFields: ["SourceAddress", "SrcIp"] })]))
    expect(error).toMatchObject({ _tag: "InvalidRule", ruleId: "brute-force", path: "rules[0].identicalFields[1]" })
    expect(error.reason).toContain("SrcIp")
  })

  it("an unknown unique field", () => {
    const error = refusal(() => correlator([standard({ uniqueFields: ["UserName"] })]))
    expect(error.path).toBe("rules[0].uniqueFields[0]")
    expect(error.reason).toContain("UserName")
  })

  it("an unknown field in a selector's filter, with the rule's index and the selector's", () => {
    const error = refusal(() =>
      correlator([standard({ id: "good" }), standard({ id: "bad", selectors: [{ filter: failure }, { filter: { and: [failure, { field: "Outcome", op: "exists" }] } }] })])
    )
    expect(error).toMatchObject({ ruleId: "bad", path: "rules[1].selectors[1].filter" })
    expect(error.reason).toContain("Outcome")
    expect(error.message).toContain("rules[1].selectors[1].filter")
    expect(refusal(() => correlator([simple({ selector: { filter: { field: "Outcome", op: "=", value: "x" } } })])).path).toBe("rules[0].selector.filter")
  })

  it("an unknown variable in a filter", () => {
    const error = refusal(() => correlator([simple({ selector: { filter: { field: "$nobody", op: "=", value: "x" } } })]))
    expect(error.path).toBe("rules[0].selector.filter")
    expect(error.reason).toContain("nobody")
  })

  it("an unknown enrichment target or source field", () => {
    const target = refusal(() => correlator([simple({ actions: [{ trigger: "onEveryEvent", enrichment: [{ target: "Nom", source: { constant: "x" } }] }] })]))
    expect(target.path).toBe("rules[0].actions[0].enrichment[0].target")
    expect(target.reason).toContain("Nom")
    const source = refusal(() => correlator([simple({ actions: [{ trigger: "onEveryEvent", enrichment: [{ target: "Name", source: { field: "Nom" } }] }] })]))
    expect(source.path).toBe("rules[0].actions[0].enrichment[0].source")
  })

  it("an unknown field in an active-list mapping or key", () => {
    const lists = { activeLists: [{ name: "seen" }] }
    const set = refusal(() =>
      correlator([simple({ actions: [{ trigger: "onEveryEvent", activeLists: [{ op: "set", list: "seen", keyFields: ["SourceAddress"], mapping: [{ listField: "u", eventField: "User" }] }] }] })], lists)
    )
    expect(set.path).toBe("rules[0].actions[0].activeLists[0].mapping[0].eventField")
    const get = refusal(() =>
      correlator([simple({ actions: [{ trigger: "onEveryEvent", activeLists: [{ op: "get", list: "seen", keyFields: ["SourceAddress"], mapping: [{ listField: "u", eventField: "User" }] }] }] })], lists)
    )
    expect(get.path).toBe("rules[0].actions[0].activeLists[0].mapping[0].eventField")
    const key = refusal(() => correlator([{ kind: "operational", id: "op", name: "Op", selector: { filter: failure }, activeLists: [{ op: "set", list: "seen", keyFields: ["SourceAddress", "Host"] }] }], lists))
    expect(key.path).toBe("rules[0].activeLists[0].keyFields[1]")
  })

  it("an active list the correlator does not declare", () => {
    const action = refusal(() => correlator([simple({ actions: [{ trigger: "onEveryEvent", activeLists: [{ op: "set", list: "ghost", keyFields: ["SourceAddress"] }] }] })]))
    expect(action.path).toBe("rules[0].actions[0].activeLists[0].list")
    expect(action.reason).toContain("ghost")
    const operational = refusal(() => correlator([{ kind: "operational", id: "op", name: "Op", selector: { filter: failure }, activeLists: [{ op: "delete", list: "ghost", keyFields: ["SourceAddress"] }] }]))
    expect(operational.path).toBe("rules[0].activeLists[0].list")
  })

  it("a trigger the rule kind does not have", () => {
    for (const trigger of ["onFirstThreshold", "onSubsequentThresholds", "onTimeout"]) {
      const error = refusal(() => correlator([simple({ actions: [{ trigger: "onEveryEvent" }, { trigger }] })]))
      expect(error.path).toBe("rules[0].actions[1].trigger")
      expect(error.reason).toContain(trigger)
    }
  })

  it("a standard rule whose selectors are all recovery selectors", () => {
    const error = refusal(() => correlator([standard({ selectors: [{ filter: success, recovery: true }] })]))
    expect(error.path).toBe("rules[0].selectors")
  })

  it("two rules with one id", () => {
    const error = refusal(() => correlator([standard(), simple({ id: "brute-force" })]))
    expect(error).toMatchObject({ ruleId: "brute-force", path: "rules[1].id" })
  })
})

describe("tenants at engine level (SPEC §1)", () => {
  it("TenantID among the identical fields keeps the events of tenants 2 and 3 apart", () => {
    const engine = engineOf([standard({ identicalFields: ["TenantID", "SourceAddress"], selectors: [{ filter: failure, threshold: 2 }] })])
    expect(feed(engine, [baseEvent(t0, { TenantID: tenant2 }), baseEvent(t0 + 1, { TenantID: tenant3 })])).toEqual([])
    expect(engine.liveGroups).toBe(2)
    const fired = feed(engine, [baseEvent(t0 + 2, { TenantID: tenant3 })])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.groupKey.split(groupKeySeparator)).toEqual(["tenant-3", "10.0.0.1"])
    expect(fired[0]!.event.GroupedBy).toEqual(["TenantID", "SourceAddress"])
    // The group is tenant 3's; the correlation event is the correlator's tenant's.
    expect(fired[0]!.event.TenantID).toBe("main")
  })

  it("without TenantID among the identical fields, events of tenants 2 and 3 correlate together", () => {
    const first = baseEvent(t0, { TenantID: tenant2 })
    const second = baseEvent(t0 + 1, { TenantID: tenant3 })
    const fired = feed(engineOf([standard({ selectors: [{ filter: failure, threshold: 2 }] })]), [first, second])
    expect(fired).toHaveLength(1)
    expect(fired[0]!.event.BaseEventIDs).toEqual([first.ID, second.ID])
    expect(fired[0]!.event.TenantID).toBe("main")
  })

  it("correlation and service events always take the correlator's tenant, whoever owns the events", () => {
    for (const owner of ["main", "tenant-2"]) {
      const engine = engineOf(
        [
          standard({ identicalFields: ["TenantID"], selectors: [{ filter: failure, threshold: 1 }] }),
          simple({ id: "copy", name: "Copy", actions: [{ trigger: "onEveryEvent", activeLists: [{ op: "set", list: "seen", keyFields: ["SourceAddress"] }] }] })
        ],
        { tenantId: owner, activeLists: [{ name: "seen", ttlSeconds: 1 }] }
      )
      const fired = feed(engine, [baseEvent(t0, { TenantID: tenant3 })])
      expect(fired.map((correlation) => correlation.event.TenantID)).toEqual([owner, owner])
      expect(fired[0]!.event.GroupedBy).toEqual(["TenantID"])
      const { serviceEvents } = engine.tick(t0 + 1_000)
      expect(serviceEvents.map((event) => [event.TenantID, event.DeviceCustomString2])).toEqual([[owner, "10.0.0.1"]])
    }
  })
})

/** A correlator that exercises most features at once, and a stream for it. */
const busyCorrelator = (): CorrelatorSpec =>
  correlator(
    [
      standard({
        windowSeconds: 30,
        selectors: [{ filter: failure, threshold: 2 }, { filter: { field: "EventOutcome", op: "=", value: "reset" }, recovery: true }],
        uniqueFields: ["DestinationUserName"],
        actions: [{ trigger: "onFirstThreshold", activeLists: [{ op: "set", list: "suspects", keyFields: ["SourceAddress"] }] }, { trigger: "onSubsequentThresholds" }, { trigger: "onTimeout" }],
        rateLimit: 3
      }),
      simple({ id: "suspect-success", name: "Suspect success", selector: { filter: { and: [success, { op: "inActiveList", list: "suspects", keyFields: ["SourceAddress"] }] } } }),
      simple({ id: "expired", name: "Expired", selector: { filter: { field: "DeviceEventCategory", op: "=", value: "ActiveList" } } })
    ],
    { activeLists: [{ name: "suspects", ttlSeconds: 20 }] }
  )

const busyStream = (): Array<NormalizedEvent> =>
  Array.from({ length: 120 }, (_, i) =>
    baseEvent(t0 + i * 1_700 - (i % 4 === 1 ? 1_700 : 0), {
      SourceAddress: `10.0.0.${i % 3}`,
      TenantID: i % 2 === 0 ? tenant2 : tenant3,
      DestinationUserName: `user-${i % 5}`,
      EventOutcome: i % 7 === 0 ? "success" : i % 11 === 0 ? "reset" : "failure"
    })
  )

describe("determinism", () => {
  it("the same input in two engines gives identical outputs, IDs included", () => {
    const events = busyStream()
    const once = new CorrelatorEngine(busyCorrelator()).processBatch(events)
    const again = new CorrelatorEngine(busyCorrelator()).processBatch(events)
    expect(new Set(triggers(once.correlations))).toEqual(new Set(["onFirstThreshold", "onSubsequentThresholds", "onTimeout", "onEveryEvent"]))
    expect(once.serviceEvents.length).toBeGreaterThan(0)
    expect(again).toEqual(once)
    expect(new Set(once.correlations.map((correlation) => correlation.event.ID)).size).toBe(once.correlations.length)
    for (const correlation of once.correlations) expect(correlation.event.ID).toMatch(UuidV5)
  })

  it("different batching of one stream, with ticks that do not pass the next event, gives the same outputs", () => {
    const events = busyStream()
    const whole = new CorrelatorEngine(busyCorrelator())
    const expected = whole.processBatch(events)
    const tail = whole.tick(t0 + 1_000_000)
    for (const size of [1, 2, 7, 50]) {
      const engine = new CorrelatorEngine(busyCorrelator())
      const actual: EngineOutput = { correlations: [], serviceEvents: [] }
      for (let start = 0; start < events.length; start += size) {
        const output = engine.processBatch(events.slice(start, start + size))
        const next = events[start + size]
        const ticked = next === undefined ? { correlations: [], serviceEvents: [] } : engine.tick(next.Timestamp - 1)
        actual.correlations.push(...output.correlations, ...ticked.correlations)
        actual.serviceEvents.push(...output.serviceEvents, ...ticked.serviceEvents)
      }
      expect(actual).toEqual(expected)
      expect(engine.tick(t0 + 1_000_000)).toEqual(tail)
    }
  })

  it("deterministicId is a v5 UUID that depends on every part and on where parts split", () => {
    const id = deterministicId(["c", "r", "g", 1])
    expect(id).toMatch(UuidV5)
    expect(deterministicId(["c", "r", "g", 1])).toBe(id)
    expect(deterministicId(["c", "r", "g", 2])).not.toBe(id)
    expect(deterministicId(["ab", "c"])).not.toBe(deterministicId(["a", "bc"]))
  })

  it("two windows of one group opening in the same millisecond fire with different IDs", () => {
    const engine = engineOf([standard({ selectors: [{ filter: failure, threshold: 1 }, { filter: success, recovery: true }] })])
    const fired = feed(engine, [baseEvent(1_000), baseEvent(1_000, { EventOutcome: "success" }), baseEvent(1_000)])
    expect(fired).toHaveLength(2)
    expect(fired[0]!.event.ID).not.toBe(fired[1]!.event.ID)
  })
})

describe("snapshots", () => {
  it("restoring a snapshot taken mid-stream continues exactly like the uninterrupted engine", () => {
    const events = busyStream()
    const uninterrupted = new CorrelatorEngine(busyCorrelator())
    const expected = [uninterrupted.processBatch(events), uninterrupted.tick(t0 + 1_000_000)]
    for (const cut of [0, 1, 37, 80, 120]) {
      const first = new CorrelatorEngine(busyCorrelator())
      const before = first.processBatch(events.slice(0, cut))
      const restored = CorrelatorEngine.restore(busyCorrelator(), first.snapshot())
      expect(restored.liveGroups).toBe(first.liveGroups)
      expect(restored.streamTime).toBe(first.streamTime)
      const after = restored.processBatch(events.slice(cut))
      const end = restored.tick(t0 + 1_000_000)
      expect([
        { correlations: [...before.correlations, ...after.correlations], serviceEvents: [...before.serviceEvents, ...after.serviceEvents] },
        end
      ]).toEqual(expected)
      expect(restored.snapshot()).toEqual(uninterrupted.snapshot())
    }
  })

  it("refuses a snapshot of another correlator, other rules, or with trailing bytes", () => {
    const engine = new CorrelatorEngine(busyCorrelator())
    engine.processBatch(busyStream().slice(0, 10))
    const bytes = engine.snapshot()
    const other = { ...busyCorrelator(), id: busyCorrelator().id.replace("1", "2") as CorrelatorSpec["id"] }
    expect(() => CorrelatorEngine.restore(other, bytes)).toThrow(SnapshotCorrupt)
    const fewerRules = { ...busyCorrelator(), rules: busyCorrelator().rules.slice(0, 2) }
    expect(() => CorrelatorEngine.restore(fewerRules, bytes)).toThrow(SnapshotCorrupt)
    expect(() => CorrelatorEngine.restore(busyCorrelator(), new Uint8Array([...bytes, 0]))).toThrow(SnapshotCorrupt)
  })

  it("refuses every truncation of a snapshot with SnapshotCorrupt", () => {
    const engine = new CorrelatorEngine(busyCorrelator())
    engine.processBatch(busyStream().slice(0, 12))
    const bytes = engine.snapshot()
    expect(engine.liveGroups).toBeGreaterThan(0)
    expect(engine.activeListSize("suspects")).toBeGreaterThan(0)
    for (let length = 0; length < bytes.length; length++) {
      expect(() => CorrelatorEngine.restore(busyCorrelator(), bytes.subarray(0, length)), `length ${length}`).toThrow(SnapshotCorrupt)
    }
  })
})
