// The shipper against scripted collectors: failover order, what is re-sent after an abrupt
// failure (the unconfirmed records, in order; nothing lost), what is not (records past the resend
// window, a collector that drained), the maximum transmission delay, and a clean stop.
import { describe, expect, it } from "@effect/vitest"
import type { CollectorAddress } from "./AgentConfig.ts"
import { AgentQueue, type QueuedRecord, type QueueSettings } from "./AgentQueue.ts"
import { AgentStatus } from "./AgentStatus.ts"
import { type CollectorLink, LinkClosing, type LinkOutcome } from "./CollectorLink.ts"
import { Shipper } from "./Shipper.ts"

class FakeCollector {
  up = true
  failWrites = false
  readonly received: Array<string> = []
  readonly links: Array<FakeLink> = []
}

class FakeLink implements CollectorLink {
  closing = false
  readonly outcome: Promise<LinkOutcome>
  private resolveOutcome!: (outcome: LinkOutcome) => void

  constructor(
    readonly address: CollectorAddress,
    private readonly collector: FakeCollector,
    readonly confirmsOnWrite: boolean
  ) {
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve))
  }

  send(records: ReadonlyArray<QueuedRecord>): Promise<number> {
    if (this.closing) return Promise.reject(new LinkClosing("closing"))
    if (this.collector.failWrites) return Promise.reject(new Error("EPIPE"))
    this.collector.received.push(...records.map((record) => record.bytes.toString()))
    return Promise.resolve(0)
  }

  close(): Promise<boolean> {
    this.settle({ kind: "drained" })
    return Promise.resolve(true)
  }

  destroy(reason: string): void {
    this.settle({ kind: "broken", reason })
  }

  /** The collector dies: the last `lost` records it was sent never reach it. */
  crash(lost: number): void {
    this.collector.received.splice(this.collector.received.length - lost, lost)
    this.settle({ kind: "broken", reason: "ECONNRESET" })
  }

  /** The collector stops by draining: it read everything sent. */
  drain(): void {
    this.settle({ kind: "drained" })
  }

  private settle(outcome: LinkOutcome): void {
    this.closing = true
    this.resolveOutcome(outcome)
  }
}

const address = (port: number): CollectorAddress => ({ transport: "tcp", host: "127.0.0.1", port })

const queueSettings = (overrides: Partial<QueueSettings> = {}): QueueSettings => ({
  maxRecords: 10_000,
  maxBytes: 10_000_000,
  whenFull: "backpressure",
  batchRecords: 5,
  batchBytes: 1_000_000,
  maxDelayMillis: 20,
  ...overrides
})

const setup = (ports: ReadonlyArray<number>, options: { resendWindowMillis?: number; queue?: Partial<QueueSettings>; confirmsOnWrite?: boolean } = {}) => {
  const collectors = new Map(ports.map((port) => [port, new FakeCollector()]))
  const attempts: Array<number> = []
  const log: Array<string> = []
  const queue = new AgentQueue(queueSettings(options.queue))
  const status = new AgentStatus(queue, () => [], (line) => log.push(line))
  const shipper = new Shipper(queue, status, {
    addresses: ports.map(address),
    timeoutMillis: 1_000,
    resendWindowMillis: options.resendWindowMillis ?? 60_000,
    retryDelays: { baseMillis: 20, maxMillis: 50 },
    log: (line) => log.push(line),
    open: (target) => {
      attempts.push(target.port)
      const collector = collectors.get(target.port)!
      if (!collector.up) return Promise.reject(new Error(`connect ECONNREFUSED 127.0.0.1:${target.port}`))
      const link = new FakeLink(target, collector, options.confirmsOnWrite ?? false)
      collector.links.push(link)
      return Promise.resolve(link)
    }
  })
  const collector = (port: number) => collectors.get(port)!
  const offer = (texts: ReadonlyArray<string>) => {
    for (const text of texts) queue.offer(Buffer.from(text), undefined, 0)
  }
  return { queue, status, shipper, attempts, collector, offer, log }
}

const until = async (condition: () => boolean, what: string, timeoutMillis = 3_000) => {
  const deadline = Date.now() + timeoutMillis
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

const records = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => `${prefix}${index}`)

describe("Shipper failover", () => {
  it("tries the addresses in order, skips the unreachable ones and uses the first that works", async () => {
    const { shipper, attempts, collector, status } = setup([1, 2, 3])
    collector(1).up = false
    collector(2).up = false
    shipper.start()
    await until(() => status.state === "connected", "a connection")
    expect(attempts).toEqual([1, 2, 3])
    expect(status.server).toBe("tcp://127.0.0.1:3")
    expect(status.failovers).toBe(2)
    expect(status.errors).toBe(2)
    await shipper.stop(100)
  })

  it("after a failure goes on to the next address and wraps around, not back to the first", async () => {
    const { shipper, attempts, collector, status } = setup([1, 2, 3])
    shipper.start()
    await until(() => collector(1).links.length === 1, "the first link")
    collector(1).links[0]!.crash(0)
    await until(() => collector(2).links.length === 1, "the second link")
    collector(2).links[0]!.crash(0)
    await until(() => collector(3).links.length === 1, "the third link")
    collector(3).links[0]!.crash(0)
    await until(() => collector(1).links.length === 2, "the first link again")
    expect(attempts).toEqual([1, 2, 3, 1])
    expect(status.failovers).toBe(3)
    await shipper.stop(100)
  })

  it("pauses between rounds when every address fails, and connects once one comes back", async () => {
    const { shipper, attempts, collector, status } = setup([1, 2])
    collector(1).up = false
    collector(2).up = false
    shipper.start()
    await new Promise((resolve) => setTimeout(resolve, 120))
    // Rounds pause 20, 40, 50 ms: a handful of attempts, not a busy loop.
    expect(attempts.length).toBeGreaterThanOrEqual(4)
    expect(attempts.length).toBeLessThanOrEqual(10)
    collector(2).up = true
    await until(() => status.state === "connected", "a connection")
    expect(status.server).toBe("tcp://127.0.0.1:2")
    await shipper.stop(100)
  })
})

describe("Shipper delivery", () => {
  it("an abrupt failure sends every unconfirmed record again, in order, to the next address: nothing is lost", async () => {
    const { shipper, collector, offer, status, queue } = setup([1, 2])
    shipper.start()
    offer(records("r", 12))
    await until(() => collector(1).received.length === 12, "the first collector's records")
    collector(1).links[0]!.crash(4)
    await until(() => collector(2).received.length === 12, "the re-sent records")
    expect(collector(2).received).toEqual(records("r", 12))
    const union = new Set([...collector(1).received, ...collector(2).received])
    expect(union.size).toBe(12)
    // The 8 records the crashed collector did get are the duplicates: at-least-once.
    expect(status.resent).toBe(12)
    expect(status.sent).toBe(24)
    await shipper.stop(100)
    expect(queue.isEmpty).toBe(true)
  })

  it("records past the resend window are confirmed and not sent again after a failure", async () => {
    const { shipper, collector, offer, status, queue } = setup([1, 2], { resendWindowMillis: 30 })
    shipper.start()
    offer(records("old", 5))
    await until(() => queue.confirmed === 5, "confirmation by age")
    offer(records("new", 5))
    await until(() => collector(1).received.length === 10, "the new records")
    collector(1).links[0]!.crash(0)
    await until(() => collector(2).received.length === 5, "the re-sent records")
    expect(collector(2).received).toEqual(records("new", 5))
    expect(status.resent).toBe(5)
    await shipper.stop(100)
  })

  it("a collector that drains its connection gets nothing twice: the next collector gets only what followed", async () => {
    const { shipper, collector, offer, status } = setup([1, 2])
    shipper.start()
    offer(records("a", 7))
    await until(() => collector(1).received.length === 7, "the first records")
    collector(1).links[0]!.drain()
    offer(records("b", 6))
    await until(() => collector(2).received.length === 6, "the following records")
    expect(collector(1).received).toEqual(records("a", 7))
    expect(collector(2).received).toEqual(records("b", 6))
    expect(status.resent).toBe(0)
    await shipper.stop(100)
  })

  it("a failed write breaks the link; its batch and the unconfirmed ones go to the next address", async () => {
    const { shipper, collector, offer } = setup([1, 2])
    shipper.start()
    offer(records("x", 5))
    await until(() => collector(1).received.length === 5, "the first batch")
    collector(1).failWrites = true
    offer(records("y", 5))
    await until(() => collector(2).received.length === 10, "everything at the second collector")
    expect(collector(2).received).toEqual([...records("x", 5), ...records("y", 5)])
    expect(collector(1).links[0]!.closing).toBe(true)
    await shipper.stop(100)
  })

  it("links that confirm on write (UDP) leave nothing unconfirmed and re-send nothing", async () => {
    const { shipper, collector, offer, queue, status } = setup([1, 2], { confirmsOnWrite: true })
    shipper.start()
    offer(records("u", 8))
    await until(() => queue.confirmed === 8, "confirmation")
    collector(1).links[0]!.crash(3)
    await until(() => collector(2).links.length === 1, "the next link")
    expect(collector(2).received).toEqual([])
    expect(status.resent).toBe(0)
    await shipper.stop(100)
  })
})

describe("Shipper batching and stop", () => {
  it("sends a partial batch once its oldest record waited the maximum transmission delay", async () => {
    const { shipper, collector, offer } = setup([1], { queue: { batchRecords: 1_000, maxDelayMillis: 150 } })
    shipper.start()
    await until(() => collector(1).links.length === 1, "the link")
    const offeredAt = Date.now()
    offer(["lonely"])
    await new Promise((resolve) => setTimeout(resolve, 75))
    expect(collector(1).received).toEqual([])
    await until(() => collector(1).received.length === 1, "the delayed record")
    expect(Date.now() - offeredAt).toBeGreaterThanOrEqual(140)
    await shipper.stop(100)
  })

  it("sends a full batch at once without waiting for the delay", async () => {
    const { shipper, collector, offer } = setup([1], { queue: { batchRecords: 3, maxDelayMillis: 60_000 } })
    shipper.start()
    await until(() => collector(1).links.length === 1, "the link")
    offer(records("f", 3))
    await until(() => collector(1).received.length === 3, "the full batch", 500)
  })

  it("stop sends what waits without waiting for the delay, closes the link cleanly and confirms everything", async () => {
    const { shipper, collector, offer, queue, status } = setup([1], { queue: { batchRecords: 1_000, maxDelayMillis: 60_000 } })
    shipper.start()
    offer(records("s", 4))
    await until(() => collector(1).links.length === 1, "the link")
    await shipper.stop(1_000)
    expect(collector(1).received).toEqual(records("s", 4))
    expect(queue.isEmpty).toBe(true)
    expect(await collector(1).links[0]!.outcome).toEqual({ kind: "drained" })
    expect(status.state).toBe("stopped")
  })

  it("stop gives up after its grace time when no collector can be reached, keeping the records", async () => {
    const { shipper, collector, offer, queue } = setup([1, 2])
    collector(1).up = false
    collector(2).up = false
    offer(records("k", 3))
    shipper.start()
    const startedAt = Date.now()
    await shipper.stop(100)
    expect(Date.now() - startedAt).toBeLessThan(1_000)
    expect(queue.records).toBe(3)
  })
})
