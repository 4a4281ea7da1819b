// Importing records into a correlator's active lists (SPEC §4, §7 activeLists/import), as the
// partition actor applies an import in stream order: records replace earlier ones of their key,
// clear empties the list first, TTLs start at the engine's stream time, an unknown list is refused
// with nothing changed, and the imported state survives a snapshot and restore.
import { describe, expect, it } from "@effect/vitest"
import { ActiveLists } from "./ActiveLists.ts"
import { CorrelatorEngine } from "./CorrelatorEngine.ts"
import { blockedLoginSpec as spec, event, fired, login, t0 } from "./testing/BlockedLoginCorrelator.ts"

describe("CorrelatorEngine.importActiveList", () => {
  it("imported keys answer inActiveList and others do not; a later record of a key replaces its fields", () => {
    const engine = new CorrelatorEngine(spec())
    expect(fired(engine, [login(t0, "10.0.0.1")])).toEqual([])
    const ok = engine.importActiveList(
      "blocked",
      [
        { key: "10.0.0.1", fields: { reason: "scanner", owner: "soc" } },
        { key: "10.0.0.2", fields: { reason: "tor" } },
        { key: "10.0.0.1", fields: { reason: "botnet" } }
      ],
      { clear: false, fallbackTime: 0 }
    )
    expect(ok).toBe(true)
    expect(engine.activeListSize("blocked")).toBe(2)
    expect(engine.activeListRecord("blocked", "10.0.0.1")).toEqual({ reason: "botnet" })
    expect(fired(engine, [login(t0 + 1, "10.0.0.1"), login(t0 + 2, "10.0.0.3"), login(t0 + 3, "10.0.0.2")])).toEqual(["10.0.0.1", "10.0.0.2"])
  })

  it("clear empties the list before the records are written, and leaves the other lists alone", () => {
    const engine = new CorrelatorEngine(spec())
    engine.processBatch([login(t0, "10.9.9.9")])
    engine.importActiveList("blocked", [{ key: "10.0.0.1", fields: {} }, { key: "10.0.0.2", fields: {} }], { clear: false, fallbackTime: 0 })
    engine.importActiveList("watched", [{ key: "alice", fields: {} }], { clear: false, fallbackTime: 0 })
    engine.importActiveList("blocked", [{ key: "10.0.0.3", fields: {} }], { clear: true, fallbackTime: 0 })
    expect(engine.activeListSizes()).toEqual([
      { name: "blocked", count: 1 },
      { name: "watched", count: 1 }
    ])
    expect(fired(engine, [login(t0 + 1, "10.0.0.1"), login(t0 + 2, "10.0.0.3")])).toEqual(["10.0.0.3"])
    engine.importActiveList("blocked", [], { clear: true, fallbackTime: 0 })
    expect(engine.activeListSize("blocked")).toBe(0)
    expect(fired(engine, [login(t0 + 3, "10.0.0.3")])).toEqual([])
  })

  it("refuses a list the correlator does not declare, changing nothing", () => {
    const engine = new CorrelatorEngine(spec())
    engine.importActiveList("blocked", [{ key: "10.0.0.1", fields: {} }], { clear: false, fallbackTime: 0 })
    expect(engine.importActiveList("nope", [{ key: "10.0.0.2", fields: {} }], { clear: true, fallbackTime: 0 })).toBe(false)
    expect(engine.activeListSizes()).toEqual([
      { name: "blocked", count: 1 },
      { name: "watched", count: 0 }
    ])
  })

  it("a record's TTL starts at the engine's stream time, and it expires as a service event like one a rule wrote", () => {
    const engine = new CorrelatorEngine(spec())
    engine.processBatch([event(t0 + 10_000)])
    // The import's own clock (fallbackTime) does not count once the engine has a stream time.
    engine.importActiveList("watched", [{ key: "alice", fields: { why: "leaver" } }], { clear: false, fallbackTime: t0 + 999_999 })
    expect(engine.tick(t0 + 69_999).serviceEvents).toEqual([])
    expect(engine.activeListSize("watched")).toBe(1)
    const expired = engine.tick(t0 + 70_000).serviceEvents
    expect(expired.map((service) => [service.Timestamp, service.DeviceCustomString1, service.DeviceCustomString2, service.Extra])).toEqual([[t0 + 70_000, "watched", "alice", { why: "leaver" }]])
    expect(engine.activeListSize("watched")).toBe(0)
  })

  it("before any event the TTL starts at the import's own clock", () => {
    const engine = new CorrelatorEngine(spec())
    engine.importActiveList("watched", [{ key: "bob", fields: {} }], { clear: false, fallbackTime: t0 })
    expect(engine.tick(t0 + 59_999).serviceEvents).toEqual([])
    expect(engine.tick(t0 + 60_000).serviceEvents.map((service) => service.DeviceCustomString2)).toEqual(["bob"])
  })

  it("a cleared record with a TTL neither expires later nor answers inActiveList", () => {
    const engine = new CorrelatorEngine(spec([{ name: "blocked", ttlSeconds: 30 }, { name: "watched", ttlSeconds: 60 }]))
    engine.processBatch([event(t0)])
    engine.importActiveList("blocked", [{ key: "10.0.0.1", fields: {} }], { clear: false, fallbackTime: 0 })
    engine.importActiveList("watched", [{ key: "carol", fields: {} }], { clear: false, fallbackTime: 0 })
    engine.importActiveList("blocked", [], { clear: true, fallbackTime: 0 })
    expect(fired(engine, [login(t0 + 1, "10.0.0.1")])).toEqual([])
    // Only the other list's record expires.
    expect(engine.tick(t0 + 120_000).serviceEvents.map((service) => service.DeviceCustomString2)).toEqual(["carol"])
  })

  it("imported records survive a snapshot: the restored engine matches the same keys and expires them alike", () => {
    const engine = new CorrelatorEngine(spec())
    engine.processBatch([event(t0)])
    engine.importActiveList("blocked", [{ key: "10.0.0.1", fields: { reason: "scanner" } }], { clear: false, fallbackTime: 0 })
    engine.importActiveList("watched", [{ key: "dave", fields: {} }], { clear: false, fallbackTime: 0 })
    const restored = CorrelatorEngine.restore(spec(), engine.snapshot())
    expect(restored.activeListSizes()).toEqual(engine.activeListSizes())
    expect(restored.activeListRecord("blocked", "10.0.0.1")).toEqual({ reason: "scanner" })
    expect(fired(restored, [login(t0 + 1, "10.0.0.1"), login(t0 + 2, "10.0.0.2")])).toEqual(["10.0.0.1"])
    expect(restored.tick(t0 + 60_000).serviceEvents).toEqual(engine.tick(t0 + 60_000).serviceEvents)
  })
})

describe("ActiveLists.replace and clear", () => {
  it("replace does not merge fields into the earlier record and restarts its TTL; both refuse an undeclared list", () => {
    const lists = new ActiveLists([{ name: "seen", ttlSeconds: 10 }])
    lists.set("seen", "k", { a: "1", b: "2" }, 0)
    expect(lists.replace("seen", "k", { a: "3" }, 5_000)).toBe(true)
    expect(lists.get("seen", "k", 5_000)?.fields).toEqual({ a: "3" })
    expect(lists.nextDeadline()).toBe(15_000)
    expect(lists.replace("other", "k", {}, 0)).toBe(false)
    expect(lists.clear("other")).toBe(false)
    expect(lists.clear("seen")).toBe(true)
    expect([lists.size("seen"), lists.nextDeadline(), lists.popExpired(1e12)]).toEqual([0, Number.POSITIVE_INFINITY, undefined])
  })
})
