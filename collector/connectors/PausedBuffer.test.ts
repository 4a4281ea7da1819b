// The pause buffer of UDP and NATS: records pass straight through while running, wait in order
// while paused, are dropped and counted past the byte limit, and the drops are reported once.
import { describe, expect, it } from "@effect/vitest"
import { PausedBuffer } from "./PausedBuffer.ts"
import { RecordingSink } from "./testing/RecordingSink.ts"

describe("PausedBuffer", () => {
  it("passes records straight to the sink while not paused", () => {
    const sink = new RecordingSink()
    new PausedBuffer(10, sink, "udp").offer("a", "10.0.0.1", 1)
    expect(sink.records).toEqual([{ text: "a", sourceAddress: "10.0.0.1" }])
  })

  it("keeps records in arrival order while paused and hands them over on resume", () => {
    const sink = new RecordingSink()
    const buffer = new PausedBuffer(10, sink, "udp")
    buffer.pause()
    buffer.offer("a", "h1", 1)
    buffer.offer("b", "h2", 1)
    expect(sink.records).toEqual([])
    expect(buffer.bufferedBytes).toBe(2)
    buffer.resume()
    expect(sink.records).toEqual([
      { text: "a", sourceAddress: "h1" },
      { text: "b", sourceAddress: "h2" }
    ])
    expect(buffer.bufferedBytes).toBe(0)
  })

  it("drops what does not fit, never holding more than the limit, and reports the drops once when resumed", () => {
    const sink = new RecordingSink()
    const buffer = new PausedBuffer(5, sink, "udp")
    buffer.pause()
    for (const text of ["abc", "de", "f", "gh"]) {
      buffer.offer(text, "h", text.length)
      expect(buffer.bufferedBytes).toBeLessThanOrEqual(5)
    }
    buffer.resume()
    expect(sink.texts()).toEqual(["abc", "de"])
    expect(sink.drops).toEqual([{ records: 2, reason: "udp connector paused: 2 records dropped because the 5-byte pause buffer was full" }])
    buffer.pause()
    buffer.resume()
    expect(sink.drops).toHaveLength(1)
  })

  it("reports drops as a connection error when the sink takes no drop reports", () => {
    const errors: Array<Error> = []
    const buffer = new PausedBuffer(1, { record: () => {}, oversize: () => {}, connectionError: (cause) => errors.push(cause) }, "nats")
    buffer.pause()
    buffer.offer("ab", "subject", 2)
    buffer.resume()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ _tag: "RecordsDropped", records: 1 })
  })

  it("stops handing over when the sink pauses again and keeps the rest first in line", () => {
    const sink = new RecordingSink()
    const buffer = new PausedBuffer(100, sink, "udp")
    sink.onRecord = () => {
      if (sink.records.length === 2) buffer.pause()
    }
    buffer.pause()
    for (const text of ["1", "2", "3", "4"]) buffer.offer(text, "h", 1)
    buffer.resume()
    expect(sink.texts()).toEqual(["1", "2"])
    buffer.offer("5", "h", 1)
    expect(buffer.bufferedBytes).toBe(3)
    sink.onRecord = () => {}
    buffer.resume()
    expect(sink.texts()).toEqual(["1", "2", "3", "4", "5"])
  })
})
