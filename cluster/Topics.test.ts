// The cluster's topics: records round-trip through their wire form; a record without an event's
// identity is refused (counted as malformed by the bus); batched matches keep their order.
import { describe, expect, it } from "@effect/vitest"
import { CollectorId, CorrelatorId, TenantId } from "../model/Ids.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import { entriesOf, make, type PartitionMatch } from "./Topics.ts"

const topics = make("unit")
const event = (index: number): NormalizedEvent => ({ ID: `id-${index}`, Timestamp: 1_000 + index, TenantID: TenantId.make("t2"), Type: 1, SourceAddress: "10.0.0.1" })

describe("Topics", () => {
  it("an event record round-trips; one whose event lacks its identity is refused", () => {
    const record = { collectorId: CollectorId.make("in"), event: event(1) }
    expect(topics.events.decode(topics.events.encode(record))).toEqual(record)
    const broken = new TextEncoder().encode(JSON.stringify({ collectorId: "in", event: { Timestamp: 1, TenantID: "t2", Type: 1 } }))
    expect(() => topics.events.decode(broken)).toThrow(/without ID/)
  })

  it("a batched match keeps its entries, sources and revision in order; its id differs from its first entry's alone", () => {
    const match: PartitionMatch = {
      correlatorId: CorrelatorId.make("soc"),
      partition: 3,
      streamTime: null,
      event: event(1),
      source: 7,
      more: [{ streamTime: 1_001, event: event(2), source: 9 }, { streamTime: 1_002, markId: "m-1" }],
      revision: 2
    }
    const decoded = topics.matches.decode(topics.matches.encode(match))
    expect(entriesOf(decoded).map((entry) => [entry.event?.ID, entry.source, entry.markId])).toEqual([
      ["id-1", 7, undefined],
      ["id-2", 9, undefined],
      [undefined, undefined, "m-1"]
    ])
    expect(decoded.revision).toBe(2)
    const { more: _more, ...single } = match
    expect(topics.matches.idOf(match)).not.toBe(topics.matches.idOf(single))
  })
})
