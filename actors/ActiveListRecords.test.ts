// Reading and deleting a correlator's active list records (SPEC §7 active lists: view, item
// deleted), as the control plane reads a partition's engine and the partition actor applies an
// operator's deletion in stream order: pages in key order with a key filter, expired records left
// out, a deleted key no longer answering inActiveList nor expiring later, and a snapshot keeping it so.
import { describe, expect, it } from "@effect/vitest"
import { CorrelatorEngine } from "./CorrelatorEngine.ts"
import { blockedLoginSpec, event, fired, login, t0 } from "./testing/BlockedLoginCorrelator.ts"

const spec = blockedLoginSpec()
const keysOf = (engine: CorrelatorEngine, list: string) => engine.activeListPage(list, { offset: 0, limit: 1_000 })?.records.map((record) => record.key)

describe("CorrelatorEngine.activeListPage", () => {
  it("pages the live records in key order with their fields and times, filtered by key, and answers undefined for an undeclared list", () => {
    const engine = new CorrelatorEngine(spec)
    engine.processBatch([event(t0)])
    engine.importActiveList("blocked", ["10.0.0.3", "10.0.0.1", "10.0.0.2", "192.168.0.1"].map((key) => ({ key, fields: { reason: `r-${key}` } })), { clear: false, fallbackTime: 0 })
    engine.importActiveList("watched", [{ key: "alice", fields: { why: "leaver" } }], { clear: false, fallbackTime: 0 })

    expect(engine.activeListPage("blocked", { offset: 0, limit: 2 })).toEqual({
      total: 4,
      records: [
        { key: "10.0.0.1", fields: { reason: "r-10.0.0.1" }, createdAt: t0, expiresAt: undefined },
        { key: "10.0.0.2", fields: { reason: "r-10.0.0.2" }, createdAt: t0, expiresAt: undefined }
      ]
    })
    expect(engine.activeListPage("blocked", { offset: 2, limit: 2 })?.records.map((record) => record.key)).toEqual(["10.0.0.3", "192.168.0.1"])
    expect(engine.activeListPage("blocked", { offset: 4, limit: 2 })).toEqual({ total: 4, records: [] })
    expect(engine.activeListPage("blocked", { matches: (key) => key.startsWith("10."), offset: 1, limit: 10 })).toMatchObject({ total: 3, records: [{ key: "10.0.0.2" }, { key: "10.0.0.3" }] })
    expect(engine.activeListPage("watched", { offset: 0, limit: 10 })).toEqual({ total: 1, records: [{ key: "alice", fields: { why: "leaver" }, createdAt: t0, expiresAt: t0 + 60_000 }] })
    expect(engine.activeListPage("nope", { offset: 0, limit: 10 })).toBeUndefined()
  })

  it("leaves out a record whose TTL ended at the engine's stream time, before the tick that expires it", () => {
    const engine = new CorrelatorEngine(spec)
    engine.processBatch([event(t0)])
    engine.importActiveList("watched", [{ key: "alice", fields: {} }], { clear: false, fallbackTime: 0 })
    engine.processBatch([event(t0 + 59_999)])
    expect(keysOf(engine, "watched")).toEqual(["alice"])
    engine.processBatch([event(t0 + 60_000)])
    expect(engine.activeListPage("watched", { offset: 0, limit: 10 })).toEqual({ total: 0, records: [] })
  })
})

describe("CorrelatorEngine.deleteActiveListRecords", () => {
  it("a deleted key no longer answers inActiveList, the others still do, and unknown keys are skipped", () => {
    const engine = new CorrelatorEngine(spec)
    engine.importActiveList("blocked", [{ key: "10.0.0.1", fields: {} }, { key: "10.0.0.2", fields: {} }], { clear: false, fallbackTime: 0 })
    expect(fired(engine, [login(t0, "10.0.0.1"), login(t0 + 1, "10.0.0.2")])).toEqual(["10.0.0.1", "10.0.0.2"])
    expect(engine.deleteActiveListRecords("blocked", ["10.0.0.1", "10.9.9.9"])).toBe(true)
    expect(keysOf(engine, "blocked")).toEqual(["10.0.0.2"])
    expect(engine.activeListSize("blocked")).toBe(1)
    expect(fired(engine, [login(t0 + 2, "10.0.0.1"), login(t0 + 3, "10.0.0.2")])).toEqual(["10.0.0.2"])
  })

  it("refuses a list the correlator does not declare, changing nothing", () => {
    const engine = new CorrelatorEngine(spec)
    engine.importActiveList("blocked", [{ key: "10.0.0.1", fields: {} }], { clear: false, fallbackTime: 0 })
    expect(engine.deleteActiveListRecords("nope", ["10.0.0.1"])).toBe(false)
    expect(keysOf(engine, "blocked")).toEqual(["10.0.0.1"])
  })

  it("a deleted record with a TTL makes no service event when its TTL would have ended; the others still expire", () => {
    const engine = new CorrelatorEngine(spec)
    engine.processBatch([event(t0)])
    engine.importActiveList("watched", [{ key: "alice", fields: {} }, { key: "bob", fields: {} }], { clear: false, fallbackTime: 0 })
    engine.deleteActiveListRecords("watched", ["alice"])
    expect(engine.tick(t0 + 120_000).serviceEvents.map((service) => service.DeviceCustomString2)).toEqual(["bob"])
  })

  it("a deletion survives a snapshot: the restored engine holds the same records", () => {
    const engine = new CorrelatorEngine(spec)
    engine.processBatch([event(t0)])
    engine.importActiveList("blocked", [{ key: "10.0.0.1", fields: { reason: "scanner" } }, { key: "10.0.0.2", fields: {} }], { clear: false, fallbackTime: 0 })
    engine.deleteActiveListRecords("blocked", ["10.0.0.2"])
    const restored = CorrelatorEngine.restore(spec, engine.snapshot())
    expect(restored.activeListPage("blocked", { offset: 0, limit: 10 })).toEqual(engine.activeListPage("blocked", { offset: 0, limit: 10 }))
    expect(fired(restored, [login(t0 + 1, "10.0.0.1"), login(t0 + 2, "10.0.0.2")])).toEqual(["10.0.0.1"])
  })
})
