// Active lists (SPEC §4): records live their list's TTL in stream time (0: forever), a set merges
// into a live record and restarts its TTL, deleted records never expire, and records expire in
// deadline order (ties in write order) — checked against a plain model on random operations.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { ActiveLists, type ExpiredRecord } from "./ActiveLists.ts"

const lists = () =>
  new ActiveLists([
    { name: "short", ttlSeconds: 10 },
    { name: "long", ttlSeconds: 30 },
    { name: "forever", ttlSeconds: 0 }
  ])

/** Pops every record expired by `now`, in order. */
const drain = (store: ActiveLists, now: number): Array<ExpiredRecord> => {
  const expired: Array<ExpiredRecord> = []
  for (let next = store.popExpired(now); next !== undefined; next = store.popExpired(now)) expired.push(next)
  return expired
}

describe("ActiveLists", () => {
  it("a record lives exactly its list's TTL in stream time", () => {
    const store = lists()
    store.set("short", "k", { a: "1" }, 1_000)
    expect(store.has("short", "k", 10_999)).toBe(true)
    expect(store.get("short", "k", 10_999)?.fields).toEqual({ a: "1" })
    expect(store.nextDeadline()).toBe(11_000)
    expect(store.popExpired(10_999)).toBeUndefined()
    expect(store.has("short", "k", 11_000)).toBe(false)
    expect(store.get("short", "k", 11_000)).toBeUndefined()
    expect(store.popExpired(11_000)).toMatchObject({ list: "short", key: "k", record: { fields: { a: "1" }, expiresAt: 11_000, createdAt: 1_000 } })
    expect(store.size("short")).toBe(0)
    expect(store.nextDeadline()).toBe(Number.POSITIVE_INFINITY)
  })

  it("set merges into a live record, restarts its TTL and keeps its creation time", () => {
    const store = lists()
    store.set("short", "k", { a: "1", b: "1" }, 0)
    store.set("short", "k", { b: "2", c: "2" }, 5_000)
    expect(store.get("short", "k", 5_000)).toMatchObject({ fields: { a: "1", b: "2", c: "2" }, expiresAt: 15_000, createdAt: 0 })
    // The first write's deadline is gone with it.
    expect(store.popExpired(10_000)).toBeUndefined()
    expect(store.nextDeadline()).toBe(15_000)
    expect(drain(store, 15_000).map((expired) => expired.record.fields)).toEqual([{ a: "1", b: "2", c: "2" }])
  })

  it("set on an expired record that was not popped yet starts afresh", () => {
    const store = lists()
    store.set("short", "k", { a: "1" }, 0)
    store.set("short", "k", { b: "2" }, 20_000)
    expect(store.get("short", "k", 20_000)?.fields).toEqual({ b: "2" })
  })

  it("TTL 0 keeps a record forever and gives no deadline", () => {
    const store = lists()
    store.set("forever", "k", { a: "1" }, 0)
    expect(store.has("forever", "k", Number.MAX_SAFE_INTEGER)).toBe(true)
    expect(store.nextDeadline()).toBe(Number.POSITIVE_INFINITY)
    expect(store.popExpired(Number.MAX_SAFE_INTEGER)).toBeUndefined()
    expect(store.size("forever")).toBe(1)
  })

  it("a deleted record is gone and never expires", () => {
    const store = lists()
    store.set("short", "k", { a: "1" }, 0)
    store.delete("short", "k")
    expect(store.has("short", "k", 1)).toBe(false)
    expect(store.size("short")).toBe(0)
    expect(store.nextDeadline()).toBe(Number.POSITIVE_INFINITY)
    expect(drain(store, 100_000)).toEqual([])
  })

  it("knows only declared lists: writes to others are ignored", () => {
    const store = lists()
    expect(store.isDeclared("short")).toBe(true)
    expect(store.isDeclared("ghost")).toBe(false)
    store.set("ghost", "k", { a: "1" }, 0)
    expect(store.has("ghost", "k", 0)).toBe(false)
    expect(store.size("ghost")).toBe(0)
    expect(store.names()).toEqual(["short", "long", "forever"])
  })

  const operations = fc.array(
    fc.record({
      op: fc.constantFrom("set" as const, "set" as const, "set" as const, "delete" as const),
      list: fc.constantFrom("short", "long", "forever"),
      key: fc.constantFrom("a", "b", "c", "d"),
      at: fc.integer({ min: 0, max: 3_000 }),
      value: fc.constantFrom("1", "2", "3")
    }),
    { maxLength: 200, size: "max" }
  )

  it("expires records in deadline order, ties in write order, like a plain model, and restores from its entries", () => {
    fc.assert(
      fc.property(operations, fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 6 }), (steps, drains) => {
        const store = lists()
        const ttl: Record<string, number> = { short: 10_000, long: 30_000, forever: Number.POSITIVE_INFINITY }
        // The model: live records with their write order; expiry pops the least (deadline, write).
        const model = new Map<string, { list: string; key: string; fields: Record<string, string>; expiresAt: number; write: number }>()
        let writes = 0
        let now = 0
        const expireModel = (until: number) => {
          const due = [...model.values()].filter((record) => record.expiresAt <= until).sort((a, b) => a.expiresAt - b.expiresAt || a.write - b.write)
          for (const record of due) model.delete(`${record.list}/${record.key}`)
          return due.map((record) => [record.list, record.key, record.expiresAt, record.fields])
        }
        const drainPoints = [...drains].sort((a, b) => a - b)
        const sorted = [...steps].sort((a, b) => a.at - b.at)
        for (const step of sorted) {
          // Stream time only moves forward; drains happen in between, as the engine's advance does.
          while (drainPoints.length > 0 && drainPoints[0]! <= step.at) {
            const until = drainPoints.shift()!
            now = Math.max(now, until)
            expect(drain(store, now).map((e) => [e.list, e.key, e.record.expiresAt, e.record.fields])).toEqual(expireModel(now))
          }
          now = Math.max(now, step.at)
          expect(drain(store, now).map((e) => [e.list, e.key, e.record.expiresAt, e.record.fields])).toEqual(expireModel(now))
          const id = `${step.list}/${step.key}`
          if (step.op === "delete") {
            store.delete(step.list, step.key)
            model.delete(id)
            continue
          }
          const previous = model.get(id)
          store.set(step.list, step.key, { [step.key]: step.value, last: step.value }, now)
          model.set(id, { list: step.list, key: step.key, fields: { ...previous?.fields, [step.key]: step.value, last: step.value }, expiresAt: now + ttl[step.list]!, write: writes++ })
        }
        for (const [id, record] of model) expect(store.get(record.list, record.key, now)?.fields, id).toEqual(record.fields)
        // A copy restored from the entries expires exactly alike.
        const copy = lists()
        for (const { list, key, record } of store.entries()) copy.restore(list, key, record)
        copy.restoreSeq(store.nextSeq)
        const rest = drain(store, Number.MAX_SAFE_INTEGER)
        expect(drain(copy, Number.MAX_SAFE_INTEGER)).toEqual(rest)
        expect(rest.map((e) => [e.list, e.key, e.record.expiresAt, e.record.fields])).toEqual(expireModel(Number.MAX_SAFE_INTEGER))
        expect(store.size("forever")).toBe(copy.size("forever"))
      }),
      { numRuns: 300 }
    )
  })
})
