// CorrelatorEngine.groupState, the control plane's window into one group actor: what it reports
// of a live group's window and counts, that it finds nothing it should not, and that reading a
// group changes no state.
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import type { NormalizedEvent } from "../model/Event.ts"
import { TenantId } from "../model/Ids.ts"
import { CorrelatorSpec } from "../model/Rule.ts"
import { CorrelatorEngine } from "./CorrelatorEngine.ts"

const source = TenantId.make("tenant-2")
const t0 = Date.UTC(2024, 4, 1, 10, 0, 0)

/** A port scan: failures and probes from one address to one host within a minute, reset by a block. */
const spec = Schema.decodeUnknownSync(CorrelatorSpec)({
  id: "correlator-1",
  tenantId: "main",
  name: "Main correlator",
  sources: [{ tenantId: source }],
  rules: [
    {
      kind: "standard",
      id: "scan",
      name: "Scan",
      selectors: [
        { name: "failures", filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 3 },
        { filter: { field: "DeviceAction", op: "=", value: "probe" }, threshold: 1 },
        { name: "blocked", filter: { field: "DeviceAction", op: "=", value: "block" }, recovery: true }
      ],
      identicalFields: ["SourceAddress", "DestinationAddress"],
      windowSeconds: 60
    },
    { kind: "simple", id: "every-failure", name: "Every failure", selector: { filter: { field: "EventOutcome", op: "=", value: "failure" } } }
  ]
})

let lastId = 0
const event = (timestamp: number, fields: Partial<NormalizedEvent> = {}): NormalizedEvent => ({
  ID: `00000000-0000-4000-8000-${(++lastId).toString(16).padStart(12, "0")}`,
  Timestamp: timestamp,
  TenantID: source,
  Type: 1,
  EventOutcome: "failure",
  SourceAddress: "10.0.0.1",
  DestinationAddress: "10.9.9.9",
  ...fields
})

// Two identical fields: the key's text is the values joined by U+001F, as correlation events carry it.
const key = "10.0.0.1\u001f10.9.9.9"

describe("CorrelatorEngine.groupState", () => {
  it("reports a live group's window, event times and per-selector counts against their thresholds", () => {
    const engine = new CorrelatorEngine(spec)
    engine.processBatch([event(t0), event(t0 + 5_000), event(t0 + 2_000, { EventOutcome: "success", DeviceAction: "probe" })])
    expect(engine.groupState("scan", key)).toEqual({
      ruleId: "scan",
      groupKey: key,
      windowStart: t0,
      windowEnd: t0 + 60_000,
      eventCount: 3,
      firstEventAt: t0,
      lastEventAt: t0 + 5_000,
      fired: 0,
      selectors: [
        { name: "failures", count: 2, threshold: 3, recovery: false },
        { name: undefined, count: 1, threshold: 1, recovery: false },
        { name: "blocked", count: 0, threshold: 1, recovery: true }
      ]
    })
  })

  it("after a full match keeps the window, counts the firing and shows no events until the next one", () => {
    const engine = new CorrelatorEngine(spec)
    const output = engine.processBatch([event(t0), event(t0 + 1_000), event(t0 + 2_000, { DeviceAction: "probe" })])
    expect(output.correlations.filter((correlation) => correlation.ruleId === "scan").map((correlation) => correlation.groupKey)).toEqual([key])
    const state = engine.groupState("scan", key)
    expect(state).toMatchObject({ windowStart: t0, windowEnd: t0 + 60_000, eventCount: 0, firstEventAt: undefined, lastEventAt: undefined, fired: 1 })
    expect(state?.selectors.map((selector) => selector.count)).toEqual([0, 0, 0])
  })

  it("finds nothing for an unknown rule, a rule without windows, another key, a recovered group or a closed window", () => {
    const engine = new CorrelatorEngine(spec)
    engine.processBatch([event(t0), event(t0, { SourceAddress: "10.0.0.2" })])
    expect(engine.groupState("scan", key)).toBeDefined()
    expect(engine.groupState("no-such-rule", key)).toBeUndefined()
    expect(engine.groupState("every-failure", key)).toBeUndefined()
    expect(engine.groupState("scan", "10.0.0.1")).toBeUndefined()
    expect(engine.groupState("scan", "10.0.0.3\u001f10.9.9.9")).toBeUndefined()

    engine.processBatch([event(t0 + 1_000, { EventOutcome: "success", DeviceAction: "block" })])
    expect(engine.groupState("scan", key)).toBeUndefined()
    expect(engine.groupState("scan", "10.0.0.2\u001f10.9.9.9")).toBeDefined()
    engine.tick(t0 + 60_000)
    expect(engine.groupState("scan", "10.0.0.2\u001f10.9.9.9")).toBeUndefined()
  })

  it("in a partitioned engine finds a group only in the partition that owns it", () => {
    const count = 4
    const partitions = Array.from({ length: count }, (_, index) => new CorrelatorEngine(spec, { partition: { index, count } }))
    for (const partition of partitions) partition.processBatch([event(t0)])
    expect(partitions.filter((partition) => partition.groupState("scan", key) !== undefined)).toHaveLength(1)
  })

  it("changes nothing: the snapshot is the same before and after a read, and a restored engine reports the same group", () => {
    const engine = new CorrelatorEngine(spec)
    engine.processBatch([event(t0), event(t0 + 3_000, { DeviceAction: "probe", EventOutcome: "success" })])
    const before = engine.snapshot()
    const state = engine.groupState("scan", key)
    expect(engine.snapshot()).toEqual(before)
    expect(CorrelatorEngine.restore(spec, before).groupState("scan", key)).toEqual(state)
  })
})
