// The collector's shutdown on a real tcp connector: closing its scope drains the connector first and
// publishes last, so a record a peer sent after the collector's FIN is published, not dropped.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Schema, Scope } from "effect"
import { connect, type Socket } from "node:net"
import { CollectorSpec } from "../model/Collector.ts"
import type { NormalizedEvent } from "../model/Event.ts"
import * as Collector from "./Collector.ts"

const spec = Schema.decodeUnknownSync(CollectorSpec)({
  id: "drain-test",
  tenantId: "acme",
  name: "Drain test",
  connector: { kind: "tcp", host: "127.0.0.1", port: 0 },
  normalizer: "json"
})

describe("Collector shutdown", () => {
  it.live("a record that arrives while the connector drains is published by the final flush", () =>
    Effect.gen(function* () {
      const published: Array<NormalizedEvent> = []
      const scope = yield* Scope.make()
      const collector = yield* Collector.run(spec, (batch) => Effect.sync(() => void published.push(...batch))).pipe(Scope.extend(scope))
      // Half-open like the agent: our FIN does not end the client's side.
      const client = yield* Effect.promise(
        () => new Promise<Socket>((resolve) => {
          const socket = connect({ port: collector.port, host: "127.0.0.1", allowHalfOpen: true }, () => resolve(socket))
        })
      )
      client.resume()
      const finReceived = new Promise<void>((resolve) => client.once("end", () => resolve()))
      const closed = new Promise<boolean>((resolve) => client.once("close", (hadError) => resolve(hadError)))
      client.write(`${JSON.stringify({ Message: "before" })}\n`)
      while (published.length < 1) yield* Effect.sleep("5 millis")
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* Effect.promise(() => finReceived)
      client.end(`${JSON.stringify({ Message: "during the drain" })}\n`)
      yield* Fiber.join(closing)
      expect(published.map((event) => event.Message)).toEqual(["before", "during the drain"])
      expect(collector.stats).toMatchObject({ received: 2, published: 2, parseErrors: 0, connectionErrors: 0 })
      expect(yield* Effect.promise(() => closed)).toBe(false)
    })
  )
})
