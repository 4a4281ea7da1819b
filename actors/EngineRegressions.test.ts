// Regressions for the engine defects the first test pass found: loops from timers, list-field
// selectors, ID case, protected fields, undeclared lists, separators in values, late events,
// memory of closed buckets and of re-set list keys, rate limits, and history-free IDs.
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import type { NormalizedEvent } from "../model/Event.ts"
import { CorrelatorSpec } from "../model/Rule.ts"
import { ActiveLists } from "./ActiveLists.ts"
import { CorrelatorEngine } from "./CorrelatorEngine.ts"
import { InvalidRule } from "./RuleCompiler.ts"
import { SelectorIndex } from "./SelectorIndex.ts"

const spec = (rules: ReadonlyArray<unknown>, activeLists: ReadonlyArray<unknown> = []): CorrelatorSpec =>
  Schema.decodeUnknownSync(CorrelatorSpec)({ id: "c1", tenantId: "main", name: "C", sources: [{ tenantId: "tenant-2" }], rules, activeLists })
const ev = (n: number, Timestamp: number, fields: Record<string, unknown> = {}): NormalizedEvent =>
  ({ ID: `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`, Timestamp, TenantID: "tenant-2", Type: 1, ...fields }) as NormalizedEvent

describe("engine regressions", () => {
  it("1. a correlation looped from onTimeout is handled at once (tick output, snapshot), not after the next input event", () => {
    const rules = [
      { kind: "standard", id: "t", name: "T", windowSeconds: 1, selectors: [{ filter: { field: "Type", op: "=", value: 1 }, threshold: 2 }], actions: [{ trigger: "onTimeout", loop: true }] },
      { kind: "simple", id: "s", name: "S", selector: { filter: { field: "CorrelationRuleID", op: "=", value: "t" } } }
    ]
    const engine = new CorrelatorEngine(spec(rules))
    engine.processBatch([ev(1, 0)])
    // Expected [t, s]; actual [t]: the looped event waits in loopQueue.
    expect(engine.tick(5_000).correlations.map((c) => c.ruleId)).toEqual(["t", "s"])
  })

  it("1b. ... and a snapshot taken after that tick loses the looped event for good", () => {
    const rules = [
      { kind: "standard", id: "t", name: "T", windowSeconds: 1, selectors: [{ filter: { field: "Type", op: "=", value: 1 }, threshold: 2 }], actions: [{ trigger: "onTimeout", loop: true }] },
      { kind: "simple", id: "s", name: "S", selector: { filter: { field: "CorrelationRuleID", op: "=", value: "t" } } }
    ]
    const original = new CorrelatorEngine(spec(rules))
    original.processBatch([ev(1, 0)])
    original.tick(5_000)
    const restored = CorrelatorEngine.restore(spec(rules), original.snapshot())
    const next = ev(2, 6_000, { Type: 3 })
    // original: [s] (late, after the unrelated input); restored: [] (lost).
    expect(restored.processBatch([next]).correlations.map((c) => c.ruleId)).toEqual(original.processBatch([next]).correlations.map((c) => c.ruleId))
  })

  it("2. a selector pinned on a list field (GroupedBy / BaseEventIDs with = or in) is never evaluated", () => {
    const engine = new CorrelatorEngine(spec([{ kind: "simple", id: "r", name: "R", selector: { filter: { field: "GroupedBy", op: "=", value: "SourceAddress" } } }]))
    expect(engine.processBatch([ev(1, 1, { Type: 2, GroupedBy: ["SourceAddress"] })]).correlations).toHaveLength(1)
    // The index alone: the selector is in no map and not in 'always'.
    const index = new SelectorIndex([{ field: "BaseEventIDs", op: "in", values: ["x"] }])
    expect(index.collect(ev(2, 1, { BaseEventIDs: ["x"] }))).toBe(1)
  })

  it("3. BaseEventIDs keep the base events' IDs as written (an upper-case UUID is valid per Schema.UUID)", () => {
    const engine = new CorrelatorEngine(spec([{ kind: "standard", id: "r", name: "R", windowSeconds: 10, selectors: [{ filter: { and: [] } }] }]))
    const id = "ABCDEF01-2345-4678-89AB-CDEF01234567"
    expect(engine.processBatch([{ ...ev(1, 1), ID: id }]).correlations[0]!.event.BaseEventIDs).toEqual([id])
  })

  it("4. a rule whose enrichment or list get would overwrite the event's tenant, ID or type is refused (SPEC §1)", () => {
    const rule = (target: string) => ({ kind: "simple", id: "r", name: "R", selector: { filter: { and: [] } }, actions: [{ trigger: "onEveryEvent", enrichment: [{ target, source: { constant: "x" } }] }] })
    for (const target of ["TenantID", "ID", "Type"]) {
      const error = (() => {
        try {
          new CorrelatorEngine(spec([rule(target)]))
        } catch (cause) {
          return cause
        }
      })()
      expect(error).toBeInstanceOf(InvalidRule)
      expect((error as InvalidRule).path).toBe("rules[0].actions[0].enrichment[0].target")
    }
  })

  it("5. inActiveList on a list the correlator does not declare is refused like an action on it", () => {
    let error: unknown
    try {
      new CorrelatorEngine(spec([{ kind: "simple", id: "r", name: "R", selector: { filter: { op: "inActiveList", list: "ghost", keyFields: ["SourceAddress"] } } }]))
    } catch (cause) {
      error = cause
    }
    expect(error).toBeInstanceOf(InvalidRule)
  })

  it("6. an operational rule may not get (it makes no event to copy into), so input events are never written", () => {
    const rules = [{ kind: "operational", id: "get", name: "G", selector: { filter: { and: [] } }, activeLists: [{ op: "get", list: "L", keyFields: ["SourceAddress"], mapping: [{ listField: "v", eventField: "DeviceAction" }] }] }]
    expect(() => new CorrelatorEngine(spec(rules, [{ name: "L" }]))).toThrow(InvalidRule)
  })

  it("7. identical-field values containing U+001F come back intact in the correlation event and survive a snapshot", () => {
    const rules = [{ kind: "standard", id: "r", name: "R", windowSeconds: 60, identicalFields: ["SourceUserName", "DestinationUserName"], selectors: [{ filter: { and: [] }, threshold: 2 }] }]
    const fields = { SourceUserName: "a\u001fb", DestinationUserName: "c" }
    const engine = new CorrelatorEngine(spec(rules))
    const fired = engine.processBatch([ev(1, 1, fields), ev(2, 2, fields)]).correlations[0]!.event
    // Actual: SourceUserName "a", DestinationUserName "b".
    expect([fired.SourceUserName, fired.DestinationUserName]).toEqual(["a\u001fb", "c"])
    const uninterrupted = new CorrelatorEngine(spec(rules))
    const interrupted = new CorrelatorEngine(spec(rules))
    uninterrupted.processBatch([ev(3, 10, fields)])
    interrupted.processBatch([ev(3, 10, fields)])
    const restored = CorrelatorEngine.restore(spec(rules), interrupted.snapshot())
    // Actual: the restored bucket sits under a 3-level key no event finds, so the second event opens another bucket.
    expect(restored.processBatch([ev(4, 11, fields)]).correlations.length).toBe(uninterrupted.processBatch([ev(4, 11, fields)]).correlations.length)
  })

  it("8. a late event cannot stretch a window past windowSeconds", () => {
    const engine = new CorrelatorEngine(
      spec([{ kind: "standard", id: "r", name: "R", windowSeconds: 10, identicalFields: ["SourceAddress"], selectors: [{ filter: { and: [] }, threshold: 2 }] }])
    )
    engine.processBatch([ev(1, 20_000, { SourceAddress: "other" })])
    engine.processBatch([ev(2, 5_000, { SourceAddress: "c" })]) // late: its window [5000, 15000) is already over
    const fired = engine.processBatch([ev(3, 20_000, { SourceAddress: "c" })]).correlations
    // Actual: fires with StartTime 5000, EndTime 20000 (15 s in a 10 s window).
    for (const correlation of fired) expect(correlation.event.EndTime! - correlation.event.StartTime!).toBeLessThan(10_000)
  })

  it("9. closed buckets give their memory back: the key index does not grow with keys that came and went", () => {
    const engine = new CorrelatorEngine(
      spec([{ kind: "standard", id: "r", name: "R", windowSeconds: 1, identicalFields: ["SourceAddress", "DestinationUserName"], selectors: [{ filter: { and: [] }, threshold: 2 }] }])
    )
    for (let i = 0; i < 1_000; i++) engine.processBatch([ev(i + 1, i * 2_000, { SourceAddress: `10.0.${i >> 8}.${i & 255}`, DestinationUserName: "root" })])
    engine.tick(10_000_000)
    expect(engine.liveGroups).toBe(0)
    const table = (engine as unknown as { rules: Array<{ table: { columnBytes: number } }> }).rules[0]!.table
    const afterThousand = table.columnBytes
    for (let i = 1_000; i < 101_000; i++) engine.processBatch([ev(i + 1, 10_000_000 + i * 2_000, { SourceAddress: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, DestinationUserName: "root" })])
    // One live bucket at a time (each window ends before the next event): 100,000 keys later, no growth.
    expect(engine.liveGroups).toBe(1)
    expect(table.columnBytes).toBe(afterThousand)
  })

  it("10. overwriting one active-list key keeps the deadline heap bounded", () => {
    const lists = new ActiveLists([{ name: "L", ttlSeconds: 86_400 }])
    for (let i = 0; i < 100_000; i++) lists.set("L", "hot", { n: String(i) }, i)
    expect(lists.size("L")).toBe(1)
    expect((lists as unknown as { deadlines: Array<unknown> }).deadlines.length).toBeLessThan(2_100)
  })

  it("11. an action that creates no correlation event cannot loop or send it on: the rule is refused", () => {
    const rules = [{ kind: "simple", id: "a", name: "A", selector: { filter: { and: [] } }, actions: [{ trigger: "onEveryEvent", correlationEvent: false, loop: true }] }]
    expect(() => new CorrelatorEngine(spec(rules))).toThrow(/correlationEvent/)
  })

  it("12. a late event does not reopen the rate-limit second: at most rateLimit firings per second", () => {
    const engine = new CorrelatorEngine(spec([{ kind: "simple", id: "r", name: "R", rateLimit: 1, selector: { filter: { and: [] } } }]))
    const fired = engine.processBatch([ev(1, 5_000), ev(2, 4_900), ev(3, 5_100)]).correlations
    // Actual: [5000, 4900, 5100]: two firings in second 5 with rateLimit 1.
    expect(fired.filter((c) => Math.floor(c.event.Timestamp / 1_000) === 5)).toHaveLength(1)
  })

  it("13. a base event more than 24.8 days before its window's start is clamped to that distance in StartTime", () => {
    const engine = new CorrelatorEngine(spec([{ kind: "standard", id: "r", name: "R", windowSeconds: 60, selectors: [{ filter: { and: [] }, threshold: 2 }] }]))
    const now = Date.UTC(2024, 3, 1)
    const [fired] = engine.processBatch([ev(1, now), ev(2, now - 30 * 86_400_000)]).correlations
    expect(fired!.event.StartTime).toBe(now - 0x8000_0000)
    expect(fired!.event.EndTime).toBe(now)
  })

  it("7c. two different identical-field tuples never share a Correlation.groupKey (alert grouping, partitioning)", () => {
    const engine = new CorrelatorEngine(
      spec([{ kind: "standard", id: "r", name: "R", windowSeconds: 60, identicalFields: ["SourceUserName", "DestinationUserName"], selectors: [{ filter: { and: [] } }] }])
    )
    const [first, second] = engine.processBatch([ev(1, 1, { SourceUserName: "a\u001f", DestinationUserName: "b" }), ev(2, 2, { SourceUserName: "a", DestinationUserName: "\u001fb" })]).correlations
    // Actual: both "a\u001f\u001fb".
    expect(first!.groupKey).not.toBe(second!.groupKey)
  })

  it("14. a firing's ID depends only on (correlator, rule, group key, window) as DESIGN.md says, not on other groups seen before", () => {
    const rules = [{ kind: "standard", id: "r", name: "R", windowSeconds: 60, identicalFields: ["SourceAddress"], selectors: [{ filter: { and: [] }, threshold: 2 }] }]
    const alone = new CorrelatorEngine(spec(rules))
    const shared = new CorrelatorEngine(spec(rules))
    shared.processBatch([ev(9, 500, { SourceAddress: "x" })])
    const y = [ev(1, 1_000, { SourceAddress: "y" }), ev(2, 2_000, { SourceAddress: "y" })]
    // Actual: different IDs (openSeq, a correlator-wide counter, is part of the ID).
    expect(shared.processBatch(y).correlations[0]!.event.ID).toBe(alone.processBatch(y).correlations[0]!.event.ID)
  })
})
