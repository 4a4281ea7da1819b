// Moving an engine's state to a new revision of its correlator (CorrelatorEngine.reloaded): rules
// whose id and definition are unchanged keep their groups, changed and removed rules drop
// theirs, new rules start empty, active lists keep records only when declared the same; and, on
// random streams reloaded at a random point, unchanged rules emit exactly what they emit without
// a reload while a changed rule emits what a fresh engine of it emits from that point on.
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as fc from "fast-check"
import type { NormalizedEvent } from "../model/Event.ts"
import { TenantId } from "../model/Ids.ts"
import { CorrelatorSpec } from "../model/Rule.ts"
import type { Correlation } from "./Correlation.ts"
import { CorrelatorEngine } from "./CorrelatorEngine.ts"

const tenant = TenantId.make("tenant-2")
const t0 = Date.UTC(2024, 4, 1, 10, 0, 0)

const correlatorOf = (rules: ReadonlyArray<Record<string, unknown>>, extra: Record<string, unknown> = {}): CorrelatorSpec =>
  Schema.decodeUnknownSync(CorrelatorSpec)({ id: "soc", tenantId: "main", name: "SOC", sources: [{ tenantId: tenant }], rules, ...extra })

const failures = { field: "EventOutcome", op: "=", value: "failure" }
const standard = (id: string, threshold: number, windowSeconds = 60, identical = "SourceAddress") => ({
  kind: "standard",
  id,
  name: id,
  selectors: [{ filter: failures, threshold }],
  identicalFields: [identical],
  windowSeconds,
  actions: [{ trigger: "onFirstThreshold" }, { trigger: "onSubsequentThresholds" }, { trigger: "onTimeout" }]
})

const eventId = (index: number): string => `00000000-0000-4000-8000-${index.toString(16).padStart(12, "0")}`
const failure = (index: number, address: string, user = "root"): NormalizedEvent => ({
  ID: eventId(index),
  Timestamp: t0 + index * 1_000,
  TenantID: tenant,
  Type: 1,
  EventOutcome: "failure",
  SourceAddress: address,
  DestinationUserName: user
})

const ruleIdsOf = (correlations: ReadonlyArray<Correlation>) => correlations.map((correlation) => correlation.ruleId)

describe("CorrelatorEngine.reloaded", () => {
  it("keeps the groups of an unchanged rule (given as another, reordered object), drops a changed and a removed rule's, starts a new rule empty", () => {
    const before = correlatorOf([standard("kept", 5), standard("raised", 3), standard("removed", 4)])
    // The same definition of "kept" with its keys in another order: equality is structural.
    const { actions, windowSeconds, identicalFields, selectors, name, kind, id } = standard("kept", 5)
    const after = correlatorOf([standard("added", 2), standard("raised", 10), { actions, windowSeconds, identicalFields, selectors, name, kind, id }])
    const engine = new CorrelatorEngine(before)
    expect(ruleIdsOf(engine.processBatch([failure(1, "a"), failure(2, "a")]).correlations)).toEqual([])

    const reloaded = CorrelatorEngine.reloaded(engine, after)
    expect(reloaded.spec).toBe(after)
    expect(reloaded.streamTime).toBe(engine.streamTime)
    expect(reloaded.groupState("kept", "a")).toEqual(engine.groupState("kept", "a"))
    expect(reloaded.groupState("kept", "a")?.eventCount).toBe(2)
    expect(reloaded.groupState("raised", "a")).toBeUndefined()
    expect(reloaded.groupState("removed", "a")).toBeUndefined()
    expect(reloaded.groupState("added", "a")).toBeUndefined()
    expect(reloaded.liveGroups).toBe(1)
  })

  it("a raised threshold counts only the events after the reload, and fires at the new threshold", () => {
    const engine = new CorrelatorEngine(correlatorOf([standard("guessing", 3)]))
    engine.processBatch([failure(1, "a"), failure(2, "a")])
    const reloaded = CorrelatorEngine.reloaded(engine, correlatorOf([standard("guessing", 4)]))
    // Under the old rule the third event would fire; under the new one the count starts again.
    expect(reloaded.processBatch([failure(3, "a"), failure(4, "a"), failure(5, "a")]).correlations).toEqual([])
    expect(reloaded.groupState("guessing", "a")?.selectors[0]).toMatchObject({ count: 3, threshold: 4 })
    expect(ruleIdsOf(reloaded.processBatch([failure(6, "a")]).correlations)).toEqual(["guessing"])
  })

  it("changed global variables drop every rule's groups: any rule may read them", () => {
    const before = correlatorOf([standard("guessing", 3)], { globalVariables: { zone: { constant: "dmz" } } })
    const after = correlatorOf([standard("guessing", 3)], { globalVariables: { zone: { constant: "lan" } } })
    const engine = new CorrelatorEngine(before)
    engine.processBatch([failure(1, "a")])
    expect(CorrelatorEngine.reloaded(engine, after).liveGroups).toBe(0)
    expect(CorrelatorEngine.reloaded(engine, before).liveGroups).toBe(1)
  })

  it("active-list records stay when the list is declared the same, and go when its TTL changes or it is removed", () => {
    const remember = {
      kind: "operational",
      id: "remember",
      name: "remember",
      selector: { filter: failures },
      activeLists: [
        { op: "set", list: "seen", keyFields: ["SourceAddress"] },
        { op: "set", list: "hosts", keyFields: ["SourceAddress"] }
      ]
    }
    const lists = (hostsTtl: number) => [
      { name: "seen", ttlSeconds: 0 },
      { name: "hosts", ttlSeconds: hostsTtl }
    ]
    const engine = new CorrelatorEngine(correlatorOf([remember], { activeLists: lists(600) }))
    engine.processBatch([failure(1, "a"), failure(2, "b")])
    expect([engine.activeListSize("seen"), engine.activeListSize("hosts")]).toEqual([2, 2])

    const sameLists = CorrelatorEngine.reloaded(engine, correlatorOf([], { activeLists: lists(600) }))
    expect([sameLists.activeListSize("seen"), sameLists.activeListSize("hosts")]).toEqual([2, 2])
    const longerTtl = CorrelatorEngine.reloaded(engine, correlatorOf([], { activeLists: lists(900) }))
    expect([longerTtl.activeListSize("seen"), longerTtl.activeListSize("hosts")]).toEqual([2, 0])
    const withoutHosts = CorrelatorEngine.reloaded(engine, correlatorOf([], { activeLists: [{ name: "seen" }] }))
    expect(withoutHosts.activeListSize("seen")).toBe(2)
  })

  it("a partition's engine reloads into the same partition, and its snapshot restores under the new spec", () => {
    const slice = { index: 1, count: 4 }
    const engine = new CorrelatorEngine(correlatorOf([standard("kept", 9)]), { partition: slice })
    const addresses = Array.from({ length: 12 }, (_, index) => `10.0.0.${index}`)
    engine.processBatch(addresses.map((address, index) => failure(index + 1, address)))
    const after = correlatorOf([standard("kept", 9), standard("added", 2)])
    const reloaded = CorrelatorEngine.reloaded(engine, after)
    expect(reloaded.liveGroups).toBe(engine.liveGroups)
    expect(engine.liveGroups).toBeGreaterThan(0)
    expect(CorrelatorEngine.restore(after, reloaded.snapshot(), { partition: slice }).liveGroups).toBe(engine.liveGroups)
  })

  it("property: reloaded at any point, unchanged rules emit what they emit unreloaded; the changed rule emits what a fresh engine of it emits from there", () => {
    const rules = fc.record({
      keptThreshold: fc.integer({ min: 1, max: 4 }),
      keptWindow: fc.integer({ min: 1, max: 20 }),
      otherThreshold: fc.integer({ min: 1, max: 4 }),
      changedBefore: fc.integer({ min: 1, max: 4 }),
      changedAfter: fc.integer({ min: 1, max: 4 }),
      changedWindowBefore: fc.integer({ min: 1, max: 20 }),
      changedWindowAfter: fc.integer({ min: 1, max: 20 })
    })
    const stream = fc
      .array(
        fc.record({
          gap: fc.constantFrom(0, 1, 500, 1_000, 3_000, 9_000),
          lateness: fc.constantFrom(0, 0, 0, 2_000),
          address: fc.constantFrom("a", "b", "c"),
          user: fc.constantFrom("root", "admin"),
          outcome: fc.constantFrom("failure", "failure", "success")
        }),
        { maxLength: 80 }
      )
      .map((drafts) => {
        let time = t0
        return drafts.map(({ gap, lateness, address, user, outcome }, index): NormalizedEvent => {
          time += gap
          return { ID: eventId(index + 1), Timestamp: time - lateness, TenantID: tenant, Type: 1, EventOutcome: outcome, SourceAddress: address, DestinationUserName: user }
        })
      })
    fc.assert(
      fc.property(rules, stream, fc.nat(), (r, events, cut) => {
        // Never the very same rule on both sides: the changed rule must actually change.
        fc.pre(r.changedBefore !== r.changedAfter || r.changedWindowBefore !== r.changedWindowAfter)
        const kept = standard("kept", r.keptThreshold, r.keptWindow)
        const other = standard("other", r.otherThreshold, 30, "DestinationUserName")
        const before = correlatorOf([kept, standard("changed", r.changedBefore, r.changedWindowBefore), other])
        const changedAfter = standard("changed", r.changedAfter, r.changedWindowAfter)
        const after = correlatorOf([other, changedAfter, kept])
        const at = events.length === 0 ? 0 : cut % (events.length + 1)
        const end = (events.at(-1)?.Timestamp ?? t0) + 60_000

        const engine = new CorrelatorEngine(before)
        const early = engine.processBatch(events.slice(0, at)).correlations
        const reloaded = CorrelatorEngine.reloaded(engine, after)
        const late = [...reloaded.processBatch(events.slice(at)).correlations, ...reloaded.tick(end).correlations]

        const idsOf = (correlations: ReadonlyArray<Correlation>, ruleId: string) =>
          correlations.filter((correlation) => correlation.ruleId === ruleId).map((correlation) => correlation.event.ID)
        const alone = (rule: Record<string, unknown>, from: number, startTime: number) => {
          const single = new CorrelatorEngine(correlatorOf([rule]))
          if (Number.isFinite(startTime)) single.tick(startTime)
          return [...single.processBatch(events.slice(from)).correlations, ...single.tick(end).correlations]
        }
        for (const [ruleId, rule] of [["kept", kept], ["other", other]] as const) {
          expect([...idsOf(early, ruleId), ...idsOf(late, ruleId)]).toEqual(idsOf(alone(rule, 0, Number.NEGATIVE_INFINITY), ruleId))
        }
        // The changed rule starts empty at the reload, with the stream time reached by then.
        expect(idsOf(late, "changed")).toEqual(idsOf(alone(changedAfter, at, engine.streamTime), "changed"))
      }),
      { numRuns: 300 }
    )
  })
})
