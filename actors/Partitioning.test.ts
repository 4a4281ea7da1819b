// Splitting a correlator into partitions changes nothing it finds: on random rules and streams,
// a router plus P partition engines (each told the stream time before each event it gets, as
// the cluster's routers do) emit exactly the correlation events of one whole engine.
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as fc from "fast-check"
import type { NormalizedEvent } from "../model/Event.ts"
import type { Filter } from "../model/Filter.ts"
import { TenantId } from "../model/Ids.ts"
import { CorrelatorSpec } from "../model/Rule.ts"
import type { Correlation } from "./Correlation.ts"
import { CorrelatorEngine, InvalidPartitioning } from "./CorrelatorEngine.ts"
import { partitionOf, ruleSalt, unpartitionableReason } from "./Partitioning.ts"

const t0 = Date.UTC(2024, 4, 1, 10, 0, 0)
const tenants = [TenantId.make("tenant-2"), TenantId.make("tenant-3")]

const eventArbitrary = fc.record({
  gap: fc.constantFrom(0, 1, 250, 999, 1_000, 2_500, 6_000),
  lateness: fc.constantFrom(0, 0, 0, 0, 700, 4_000),
  TenantID: fc.constantFrom(...tenants),
  SourceAddress: fc.constantFrom("a", "b", "c", "d"),
  DestinationUserName: fc.constantFrom("root", "admin", "svc"),
  DestinationPort: fc.constantFrom(22, 443, 3389),
  EventOutcome: fc.constantFrom("failure", "failure", "success", "reset"),
  SourceUserName: fc.constantFrom("u1", "u2", "u3")
})

const streamArbitrary = fc.array(eventArbitrary, { maxLength: 120 }).map((drafts) => {
  let time = t0
  return drafts.map(({ gap, lateness, ...fields }, index): NormalizedEvent => {
    time += gap
    return { ID: `00000000-0000-4000-8000-${(index + 1).toString(16).padStart(12, "0")}`, Timestamp: time - lateness, Type: 1, ...fields }
  })
})

const filters: ReadonlyArray<Filter> = [
  { field: "EventOutcome", op: "=", value: "failure" },
  { field: "EventOutcome", op: "in", values: ["failure", "success"] },
  { field: "DestinationPort", op: ">=", value: 443 },
  { and: [] },
  { or: [{ field: "EventOutcome", op: "=", value: "success" }, { field: "DestinationUserName", op: "=", value: "root" }] }
]

const standardRule = fc.record({
  selectors: fc.array(fc.record({ filter: fc.nat({ max: filters.length - 1 }), threshold: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 2 }),
  recovery: fc.boolean(),
  identicalFields: fc.shuffledSubarray(["TenantID", "SourceAddress", "DestinationUserName", "DestinationPort"]),
  uniqueFields: fc.constantFrom([], ["SourceUserName"]),
  windowSeconds: fc.integer({ min: 1, max: 8 }),
  triggers: fc.subarray(["onFirstThreshold", "onSubsequentThresholds", "onTimeout", "onEveryEvent"] as const, { minLength: 1 })
})

const specArbitrary = fc
  .record({ standard: fc.array(standardRule, { minLength: 1, maxLength: 4 }), simple: fc.array(fc.nat({ max: filters.length - 1 }), { maxLength: 2 }) })
  .map(({ standard, simple }) =>
    Schema.decodeUnknownSync(CorrelatorSpec)({
      id: "soc",
      tenantId: "main",
      name: "SOC",
      sources: tenants.map((tenantId) => ({ tenantId })),
      rules: [
        ...standard.map((rule, index) => ({
          kind: "standard",
          id: `standard-${index}`,
          name: `Standard ${index}`,
          selectors: [
            ...rule.selectors.map(({ filter, threshold }) => ({ filter: filters[filter], threshold })),
            ...(rule.recovery ? [{ filter: { field: "EventOutcome", op: "=", value: "reset" }, recovery: true }] : [])
          ],
          identicalFields: rule.identicalFields,
          uniqueFields: rule.uniqueFields,
          windowSeconds: rule.windowSeconds,
          actions: rule.triggers.map((trigger) => ({ trigger }))
        })),
        ...simple.map((filter, index) => ({ kind: "simple", id: `simple-${index}`, name: `Simple ${index}`, selector: { filter: filters[filter] } }))
      ]
    })
  )

const byId = (correlations: ReadonlyArray<Correlation>) => [...correlations].sort((a, b) => (a.event.ID < b.event.ID ? -1 : a.event.ID > b.event.ID ? 1 : 0))

/** One router and `count` partition engines fed the stream event by event. */
const runPartitioned = (spec: CorrelatorSpec, events: ReadonlyArray<NormalizedEvent>, count: number, finalTime: number) => {
  const router = new CorrelatorEngine(spec)
  const partitions = Array.from({ length: count }, (_, index) => new CorrelatorEngine(spec, { partition: { index, count } }))
  const out = new Int32Array(spec.rules.length)
  const correlations: Array<Correlation> = []
  const received = new Array<number>(count).fill(0)
  let streamTime = Number.NEGATIVE_INFINITY
  for (const event of events) {
    const found = router.route(event, count, out)
    for (let i = 0; i < found; i++) {
      const engine = partitions[out[i]!]!
      received[out[i]!]!++
      // The router's stream time before this event: the partition's windows end as the whole stream's do.
      if (streamTime > Number.NEGATIVE_INFINITY) correlations.push(...engine.tick(streamTime).correlations)
      correlations.push(...engine.processBatch([event]).correlations)
    }
    streamTime = Math.max(streamTime, event.Timestamp)
  }
  for (const engine of partitions) correlations.push(...engine.tick(finalTime).correlations)
  return { correlations, received }
}

describe("partitioned correlation", () => {
  it("router + P partitions emit exactly the whole engine's correlation events (P = 1, 2, 3, 7)", () => {
    let compared = 0
    fc.assert(
      fc.property(specArbitrary, streamArbitrary, fc.constantFrom(1, 2, 3, 7), (spec, events, count) => {
        const finalTime = (events[events.length - 1]?.Timestamp ?? t0) + 60_000
        const whole = new CorrelatorEngine(spec)
        const expected = [...whole.processBatch(events).correlations, ...whole.tick(finalTime).correlations]
        const { correlations } = runPartitioned(spec, events, count, finalTime)
        expect(byId(correlations).map((c) => c.event)).toEqual(byId(expected).map((c) => c.event))
        compared += expected.length
      }),
      { numRuns: 400 }
    )
    // Only worth something if the random rules fired a lot.
    expect(compared).toBeGreaterThan(1_000)
  })

  it("a partition restored from a checkpoint and replaying its stream from there re-emits only identical events", () => {
    let replayed = 0
    fc.assert(
      fc.property(specArbitrary, streamArbitrary, fc.constantFrom(2, 3), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (spec, events, count, checkpointPercent, crashPercent) => {
        const finalTime = (events[events.length - 1]?.Timestamp ?? t0) + 60_000
        const whole = new CorrelatorEngine(spec)
        const expected = byId([...whole.processBatch(events).correlations, ...whole.tick(finalTime).correlations]).map((c) => c.event)
        // Each partition's stream as the router publishes it: (stream time before, event).
        const router = new CorrelatorEngine(spec)
        const out = new Int32Array(spec.rules.length)
        const streams = Array.from({ length: count }, () => [] as Array<{ streamTime: number; event: NormalizedEvent }>)
        let streamTime = Number.NEGATIVE_INFINITY
        for (const event of events) {
          const found = router.route(event, count, out)
          for (let i = 0; i < found; i++) streams[out[i]!]!.push({ streamTime, event })
          streamTime = Math.max(streamTime, event.Timestamp)
        }
        const emitted: Array<Correlation> = []
        streams.forEach((stream, index) => {
          const partition = { index, count }
          const apply = (engine: CorrelatorEngine, message: { streamTime: number; event: NormalizedEvent }) => {
            if (message.streamTime > Number.NEGATIVE_INFINITY) emitted.push(...engine.tick(message.streamTime).correlations)
            emitted.push(...engine.processBatch([message.event]).correlations)
          }
          // The owner checkpoints after message c, dies after message m >= c; the next owner
          // restores c and replays from c + 1 (what it emits again has the same IDs).
          const crash = Math.floor((crashPercent * stream.length) / 100)
          const checkpoint = Math.floor((checkpointPercent * crash) / 100)
          const first = new CorrelatorEngine(spec, { partition })
          let saved = first.snapshot()
          stream.forEach((message, position) => {
            if (position >= crash) return
            apply(first, message)
            if (position + 1 === checkpoint) saved = first.snapshot()
          })
          const second = CorrelatorEngine.restore(spec, saved, { partition })
          for (const message of stream.slice(checkpoint)) apply(second, message)
          replayed += crash - checkpoint
          emitted.push(...second.tick(finalTime).correlations)
        })
        const unique = new Map<string, Correlation["event"]>()
        for (const correlation of emitted) {
          const earlier = unique.get(correlation.event.ID)
          if (earlier !== undefined) expect(correlation.event).toEqual(earlier)
          unique.set(correlation.event.ID, correlation.event)
        }
        expect(byId([...unique.values()].map((event) => ({ event }) as Correlation)).map((c) => c.event)).toEqual(expected)
      }),
      { numRuns: 300 }
    )
    expect(replayed).toBeGreaterThan(200)
  })

  it("a snapshot of one partition does not restore into another partition or layout", () => {
    const spec = Schema.decodeUnknownSync(CorrelatorSpec)({
      id: "soc",
      tenantId: "main",
      name: "SOC",
      sources: [{ tenantId: "tenant-2" }],
      rules: [{ kind: "simple", id: "r", name: "R", selector: { filter: { and: [] } } }]
    })
    const snapshot = new CorrelatorEngine(spec, { partition: { index: 1, count: 4 } }).snapshot()
    expect(() => CorrelatorEngine.restore(spec, snapshot, { partition: { index: 1, count: 4 } })).not.toThrow()
    expect(() => CorrelatorEngine.restore(spec, snapshot, { partition: { index: 2, count: 4 } })).toThrow(/snapshot of partition 1 of 4, not 2 of 4/)
    expect(() => CorrelatorEngine.restore(spec, snapshot, { partition: { index: 1, count: 8 } })).toThrow(/not 1 of 8/)
    expect(() => CorrelatorEngine.restore(spec, snapshot)).toThrow(/not 0 of 1/)
  })

  it("an event goes only to the partitions of the groups it matches, and groups spread over all partitions", () => {
    const spec = Schema.decodeUnknownSync(CorrelatorSpec)({
      id: "soc",
      tenantId: "main",
      name: "SOC",
      sources: [{ tenantId: "tenant-2" }],
      rules: [
        { kind: "standard", id: "by-source", name: "By source", selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 3 }], identicalFields: ["SourceAddress"], windowSeconds: 60 },
        { kind: "standard", id: "by-user", name: "By user", selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 3 }], identicalFields: ["SourceUserName"], windowSeconds: 60 }
      ]
    })
    const router = new CorrelatorEngine(spec)
    const out = new Int32Array(2)
    expect(router.route({ ID: "x", Timestamp: t0, TenantID: tenants[0]!, Type: 1, EventOutcome: "success" }, 8, out)).toBe(0)
    const hits = new Array<number>(8).fill(0)
    for (let i = 0; i < 4_000; i++) {
      const found = router.route({ ID: `e${i}`, Timestamp: t0, TenantID: tenants[0]!, Type: 1, EventOutcome: "failure", SourceAddress: `10.0.${i % 250}.${i % 7}`, SourceUserName: "same" }, 8, out)
      expect(found).toBeGreaterThanOrEqual(1)
      expect(found).toBeLessThanOrEqual(2)
      for (let j = 0; j < found; j++) hits[out[j]!]!++
    }
    // 1,750 source groups over 8 partitions: every partition takes a fair share.
    for (const hit of hits) expect(hit).toBeGreaterThan(300)
    expect(partitionOf(ruleSalt("by-user"), 12345, 8)).toBe(partitionOf(ruleSalt("by-user"), 12345, 8))
  })

  it("refuses to split a correlator whose state no partition could own alone, and says why", () => {
    const base = { id: "soc", tenantId: "main", name: "SOC", sources: [{ tenantId: "tenant-2" }] }
    const withList = Schema.decodeUnknownSync(CorrelatorSpec)({
      ...base,
      rules: [{ kind: "simple", id: "r", name: "R", selector: { filter: { and: [] } } }],
      activeLists: [{ name: "watch", ttlSeconds: 60 }]
    })
    expect(unpartitionableReason(withList)).toBe("it has active lists")
    expect(() => new CorrelatorEngine(withList, { partition: { index: 0, count: 4 } })).toThrow(InvalidPartitioning)
    expect(() => new CorrelatorEngine(withList, { partition: { index: 0, count: 1 } })).not.toThrow()
    const limited = Schema.decodeUnknownSync(CorrelatorSpec)({ ...base, rules: [{ kind: "simple", id: "r", name: "R", rateLimit: 5, selector: { filter: { and: [] } } }] })
    expect(unpartitionableReason(limited)).toBe("rule r has a rate limit")
    const plain = Schema.decodeUnknownSync(CorrelatorSpec)({ ...base, rules: [{ kind: "simple", id: "r", name: "R", selector: { filter: { and: [] } } }] })
    expect(unpartitionableReason(plain)).toBeUndefined()
    expect(() => new CorrelatorEngine(plain, { partition: { index: 4, count: 4 } })).toThrow(/no partition 4 of 4/)
  })
})
