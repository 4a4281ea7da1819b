// The nats connector against the real NATS cluster of the test services: every message on the
// subject is one record with the subject as source address, a queue group shares the messages,
// and messages that arrive while paused are kept and handed over on resume.
import { describe, expect, it } from "@effect/vitest"
import { connect } from "@nats-io/transport-node"
import { Effect } from "effect"
import { inject } from "vitest"
import { uniqueSuffix } from "../../test/support/testIds.ts"
import * as NatsConnector from "./NatsConnector.ts"
import { RecordingSink } from "./testing/RecordingSink.ts"

// The servers come from the suite's global setup (ops/services-up.sh); without them the tests fail, never skip.
const provided: Array<string> | undefined = inject("natsServers")
const servers = (): [string, ...Array<string>] => {
  if (provided === undefined || provided.length === 0) throw new Error("no NATS servers: run through `npm test`, whose global setup starts them")
  return provided as [string, ...Array<string>]
}

/** Publishes on a separate connection and waits until the server has them. */
const publish = (subject: string, payloads: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    const connection = await connect({ servers: servers() })
    try {
      for (const payload of payloads) connection.publish(subject, payload)
      await connection.flush()
    } finally {
      await connection.close()
    }
  })

describe("NatsConnector", () => {
  it.scopedLive("makes every message on the subject one record whose source address is the subject", () =>
    Effect.gen(function* () {
      const base = `corvus.test.collector.${uniqueSuffix()}`
      const sink = new RecordingSink()
      const connector = yield* NatsConnector.listen({ kind: "nats", servers: servers(), subject: `${base}.>` }, sink)
      expect(connector.port).toBe(0)
      yield* publish(`${base}.fw`, ["one", "two"])
      yield* publish(`${base}.proxy`, ["three", ""])
      yield* sink.waitFor((seen) => seen.records.length === 3)
      expect(sink.records).toEqual([
        { text: "one", sourceAddress: `${base}.fw` },
        { text: "two", sourceAddress: `${base}.fw` },
        { text: "three", sourceAddress: `${base}.proxy` }
      ])
    })
  )

  it.scopedLive("shares messages across a queue group: each message reaches one member", () =>
    Effect.gen(function* () {
      const subject = `corvus.test.collector.${uniqueSuffix()}`
      const first = new RecordingSink()
      const second = new RecordingSink()
      yield* NatsConnector.listen({ kind: "nats", servers: servers(), subject, queue: "collectors" }, first)
      yield* NatsConnector.listen({ kind: "nats", servers: servers(), subject, queue: "collectors" }, second)
      const payloads = Array.from({ length: 50 }, (_, index) => `event ${index}`)
      yield* publish(subject, payloads)
      yield* first.waitFor(() => first.records.length + second.records.length === 50)
      expect([...first.texts(), ...second.texts()].sort()).toEqual([...payloads].sort())
    })
  )

  it.scopedLive("keeps messages that arrive while paused and hands them over in order on resume", () =>
    Effect.gen(function* () {
      const subject = `corvus.test.collector.${uniqueSuffix()}`
      const sink = new RecordingSink()
      const connector = yield* NatsConnector.listen({ kind: "nats", servers: servers(), subject }, sink)
      connector.pause()
      yield* publish(subject, ["p1", "p2", "p3"])
      yield* Effect.sleep("200 millis")
      expect(sink.records).toEqual([])
      connector.resume()
      yield* sink.waitFor((seen) => seen.records.length === 3)
      expect(sink.texts()).toEqual(["p1", "p2", "p3"])
    })
  )

  it.scopedLive("fails to start with a CollectorError when no server answers", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(NatsConnector.listen({ kind: "nats", servers: ["nats://127.0.0.1:1"], subject: "x" }, new RecordingSink()))
      expect(error).toMatchObject({ _tag: "CollectorError", message: "nats connector cannot connect to nats://127.0.0.1:1" })
    })
  )
})
