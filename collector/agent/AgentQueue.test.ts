// The bounded queue: what each full-queue policy does (backpressure pauses and resumes the
// sources and loses nothing; drop-oldest drops and counts the oldest unsent records), when a batch
// is due (count, bytes, maximum transmission delay, on an injected clock), and that records keep
// their order through requeues while sources learn how far delivery reached.
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { AgentQueue, type QueueSettings, type RecordOrigin } from "./AgentQueue.ts"

const settings = (overrides: Partial<QueueSettings> = {}): QueueSettings => ({
  maxRecords: 100,
  maxBytes: 1_000_000,
  whenFull: "backpressure",
  batchRecords: 10,
  batchBytes: 100_000,
  maxDelayMillis: 30_000,
  ...overrides
})

const clock = () => {
  let now = 1_000
  return { now: () => now, advance: (millis: number) => (now += millis) }
}

const texts = (queue: AgentQueue): Array<string> => {
  const all: Array<string> = []
  for (let batch = queue.take(); batch !== undefined; batch = queue.take()) all.push(...batch.records.map((record) => record.bytes.toString()))
  return all
}

const recordingOrigin = () => {
  const settled: Array<number> = []
  const origin: RecordOrigin = { settle: (endOffset) => settled.push(endOffset) }
  return { origin, settled }
}

describe("AgentQueue batching", () => {
  it("a batch is due when batch.records records wait, not before the delay otherwise", () => {
    const time = clock()
    const queue = new AgentQueue(settings({ batchRecords: 3, maxDelayMillis: 5_000 }), time.now)
    queue.offer(Buffer.from("a"), undefined, 0)
    queue.offer(Buffer.from("b"), undefined, 0)
    expect(queue.readyAt()).toBe(6_000)
    queue.offer(Buffer.from("c"), undefined, 0)
    expect(queue.readyAt()).toBe(0)
  })

  it("a batch is due when batch.bytes bytes wait", () => {
    const queue = new AgentQueue(settings({ batchBytes: 10 }), clock().now)
    queue.offer(Buffer.alloc(6), undefined, 0)
    expect(queue.readyAt()).toBeGreaterThan(0)
    queue.offer(Buffer.alloc(4), undefined, 0)
    expect(queue.readyAt()).toBe(0)
  })

  it("the maximum transmission delay runs from the oldest waiting record", () => {
    const time = clock()
    const queue = new AgentQueue(settings({ maxDelayMillis: 30_000 }), time.now)
    expect(queue.readyAt()).toBeUndefined()
    queue.offer(Buffer.from("first"), undefined, 0)
    time.advance(20_000)
    queue.offer(Buffer.from("second"), undefined, 0)
    expect(queue.readyAt()).toBe(31_000)
    time.advance(10_000)
    expect(queue.readyAt()! <= time.now()).toBe(true)
    expect(queue.take()!.records.map((record) => record.bytes.toString())).toEqual(["first", "second"])
    expect(queue.readyAt()).toBeUndefined()
  })

  it("flush makes whatever waits due at once", () => {
    const queue = new AgentQueue(settings(), clock().now)
    queue.offer(Buffer.from("x"), undefined, 0)
    expect(queue.readyAt()).toBeGreaterThan(0)
    queue.flush()
    expect(queue.readyAt()).toBe(0)
  })

  it("take respects batch.records and batch.bytes but always takes at least one record", () => {
    const queue = new AgentQueue(settings({ batchRecords: 2, batchBytes: 5 }), clock().now)
    for (const text of ["aa", "bb", "cc", "dddddddd", "e"]) queue.offer(Buffer.from(text), undefined, 0)
    expect(queue.take()!.records.length).toBe(2)
    expect(queue.take()!.records.map((record) => record.bytes.toString())).toEqual(["cc"])
    expect(queue.take()!.records.map((record) => record.bytes.toString())).toEqual(["dddddddd"])
    expect(queue.take()!.records.map((record) => record.bytes.toString())).toEqual(["e"])
  })

  it("notifies the waiting shipper when the first record arrives and when a batch fills", () => {
    const queue = new AgentQueue(settings({ batchRecords: 3 }), clock().now)
    let calls = 0
    queue.onReady = () => calls++
    queue.offer(Buffer.from("1"), undefined, 0)
    queue.offer(Buffer.from("2"), undefined, 0)
    expect(calls).toBe(1)
    queue.offer(Buffer.from("3"), undefined, 0)
    expect(calls).toBe(2)
  })
})

describe("AgentQueue when full: backpressure", () => {
  it("pauses every source at the limit, counts sent-but-unconfirmed records, and resumes below 3/4", () => {
    const queue = new AgentQueue(settings({ maxRecords: 8, batchRecords: 4 }), clock().now)
    const events: Array<string> = []
    queue.addFlowControl({ pause: () => events.push("pause"), resume: () => events.push("resume") })
    for (let index = 0; index < 8; index++) queue.offer(Buffer.from(`r${index}`), undefined, 0)
    expect(events).toEqual(["pause"])
    expect(queue.isPaused).toBe(true)
    expect(queue.readyAt()).toBe(0)
    const first = queue.take()!
    // Taken but unconfirmed still occupies the queue: no resume yet.
    expect(events).toEqual(["pause"])
    expect(queue.records).toBe(8)
    queue.confirm(first)
    expect(queue.records).toBe(4)
    expect(events).toEqual(["pause", "resume"])
  })

  it("never drops: records offered while paused are kept (the limit is passed by what a read already holds)", () => {
    const queue = new AgentQueue(settings({ maxRecords: 3, batchRecords: 3 }), clock().now)
    for (let index = 0; index < 5; index++) queue.offer(Buffer.from(`r${index}`), undefined, 0)
    expect(queue.dropped).toBe(0)
    expect(texts(queue)).toEqual(["r0", "r1", "r2", "r3", "r4"])
  })

  it("a source registered while the queue is full starts paused; holdSources pauses for good", () => {
    const queue = new AgentQueue(settings({ maxRecords: 2, batchRecords: 1 }), clock().now)
    queue.offer(Buffer.from("a"), undefined, 0)
    queue.offer(Buffer.from("b"), undefined, 0)
    const events: Array<string> = []
    queue.addFlowControl({ pause: () => events.push("pause"), resume: () => events.push("resume") })
    expect(events).toEqual(["pause"])
    queue.holdSources()
    queue.confirm(queue.take()!)
    queue.confirm(queue.take()!)
    expect(events).toEqual(["pause", "pause"])
  })

  it("the byte limit pauses too", () => {
    const queue = new AgentQueue(settings({ maxBytes: 10, batchBytes: 10 }), clock().now)
    let paused = false
    queue.addFlowControl({ pause: () => (paused = true), resume: () => (paused = false) })
    queue.offer(Buffer.alloc(9), undefined, 0)
    expect(paused).toBe(false)
    queue.offer(Buffer.alloc(1), undefined, 0)
    expect(paused).toBe(true)
  })
})

describe("AgentQueue when full: drop-oldest", () => {
  it("drops the oldest unsent records, counts them, tells their origin, and never pauses", () => {
    const queue = new AgentQueue(settings({ maxRecords: 3, whenFull: "drop-oldest", batchRecords: 3 }), clock().now)
    const { origin, settled } = recordingOrigin()
    let paused = false
    queue.addFlowControl({ pause: () => (paused = true), resume: () => {} })
    for (let index = 1; index <= 5; index++) queue.offer(Buffer.from(`r${index}`), origin, index * 10)
    expect(paused).toBe(false)
    expect(queue.dropped).toBe(2)
    expect(settled).toEqual([10, 20])
    expect(texts(queue)).toEqual(["r3", "r4", "r5"])
  })

  it("keeps records already sent (unconfirmed) and drops among the waiting ones only", () => {
    const queue = new AgentQueue(settings({ maxRecords: 3, whenFull: "drop-oldest", batchRecords: 2 }), clock().now)
    queue.offer(Buffer.from("s1"), undefined, 0)
    queue.offer(Buffer.from("s2"), undefined, 0)
    const inFlight = queue.take()!
    for (const text of ["w1", "w2", "w3"]) queue.offer(Buffer.from(text), undefined, 0)
    expect(queue.dropped).toBe(2)
    expect(queue.records).toBe(3)
    queue.requeue([inFlight])
    expect(texts(queue)).toEqual(["s1", "s2", "w3"])
  })
})

describe("AgentQueue order and delivery", () => {
  it("requeued batches go back to the front in their original order, counted again as waiting", () => {
    const queue = new AgentQueue(settings({ batchRecords: 2 }), clock().now)
    for (const text of ["a", "b", "c", "d", "e"]) queue.offer(Buffer.from(text), undefined, 0)
    const first = queue.take()!
    const second = queue.take()!
    expect(queue.inFlightRecords).toBe(4)
    queue.requeue([first, second])
    expect(queue.inFlightRecords).toBe(0)
    expect(queue.pendingRecords).toBe(5)
    expect(texts(queue)).toEqual(["a", "b", "c", "d", "e"])
  })

  it("confirm tells each record's origin its end offset, in order, and empties the queue", () => {
    const queue = new AgentQueue(settings({ batchRecords: 2 }), clock().now)
    const { origin, settled } = recordingOrigin()
    for (let index = 1; index <= 3; index++) queue.offer(Buffer.from(`${index}`), origin, index * 100)
    queue.confirm(queue.take()!)
    expect(settled).toEqual([100, 200])
    queue.confirm(queue.take()!)
    expect(settled).toEqual([100, 200, 300])
    expect(queue.isEmpty).toBe(true)
    expect(queue.confirmed).toBe(3)
  })

  it("any interleaving of offers, takes, confirms and requeues keeps every record exactly once, in order", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("offer", "offer", "offer", "take", "confirm", "requeue"), { maxLength: 200 }), (operations) => {
        const queue = new AgentQueue(settings({ maxRecords: 1_000, batchRecords: 3 }), clock().now)
        const inFlight: Array<ReturnType<AgentQueue["take"]> & object> = []
        const delivered: Array<number> = []
        let next = 0
        for (const operation of operations) {
          if (operation === "offer") queue.offer(Buffer.from(String(next++)), undefined, 0)
          else if (operation === "take") {
            const batch = queue.take()
            if (batch !== undefined) inFlight.push(batch)
          } else if (operation === "confirm") {
            const batch = inFlight.shift()
            if (batch !== undefined) {
              queue.confirm(batch)
              delivered.push(...batch.records.map((record) => Number(record.bytes.toString())))
            }
          } else {
            queue.requeue(inFlight.splice(0))
          }
        }
        queue.requeue(inFlight.splice(0))
        delivered.push(...texts(queue).map(Number))
        expect(delivered).toEqual([...Array(next).keys()])
      }),
      { numRuns: 300 }
    )
  })
})
