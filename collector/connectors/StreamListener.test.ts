// The stream listener's own limits: connections beyond the maximum are refused and counted, the
// ones already open keep working, closing the scope closes open connections, and a peer that
// never answers the closing FIN is reset after the drain timeout and counted.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { connect, type Socket } from "node:net"
import { RecordFramer } from "./RecordFramer.ts"
import * as StreamListener from "./StreamListener.ts"
import { RecordingSink } from "./testing/RecordingSink.ts"

const open = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket))
    socket.on("error", reject)
  })

const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.closed ? resolve() : socket.on("close", () => resolve())))

describe("StreamListener", () => {
  it.live("refuses and counts connections over the maximum, keeps the open one, and closes it with the scope", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const scope = yield* Scope.make()
      const listener = yield* StreamListener.listen({ host: "127.0.0.1", port: 0, tls: undefined, description: "tcp", maxConnections: 1 }, sink, (address) =>
        new RecordFramer(0x0a, 1024, { record: (text) => sink.record(text, address), oversize: sink.oversize })
      ).pipe(Scope.extend(scope))
      const first = yield* Effect.promise(() => open(listener.port))
      first.on("error", () => {})
      const second = yield* Effect.promise(() => open(listener.port))
      second.on("error", () => {})
      yield* Effect.promise(() => closed(second))
      yield* sink.waitFor((seen) => seen.errors.length === 1)
      expect(sink.errorMessages()).toEqual(["tcp connector refused a connection from 127.0.0.1: 1 connections are open"])
      first.write("still served\n")
      yield* sink.waitFor((seen) => seen.records.length === 1)
      yield* Scope.close(scope, Exit.void)
      yield* Effect.promise(() => closed(first))
      expect(sink.texts()).toEqual(["still served"])
    })
  )

  it.live("a peer that never answers the FIN is reset after the drain timeout and counted; its unfinished record is not emitted", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const scope = yield* Scope.make()
      const listener = yield* StreamListener.listen({ host: "127.0.0.1", port: 0, tls: undefined, description: "tcp", drainTimeoutMs: 150 }, sink, (address) =>
        new RecordFramer(0x0a, 1024, { record: (text) => sink.record(text, address), oversize: sink.oversize })
      ).pipe(Scope.extend(scope))
      const silent = yield* Effect.promise(
        () =>
          new Promise<Socket>((resolve) => {
            const socket = connect({ port: listener.port, host: "127.0.0.1", allowHalfOpen: true }, () => resolve(socket))
          })
      )
      let clientError: Error | undefined
      silent.on("error", (cause) => (clientError = cause))
      silent.resume()
      silent.write("whole\nunfinished")
      yield* sink.waitFor((seen) => seen.records.length === 1)
      const startedAt = Date.now()
      yield* Scope.close(scope, Exit.void)
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(140)
      expect(sink.texts()).toEqual(["whole"])
      expect(sink.errorMessages()).toEqual(["tcp connector reset the connection from 127.0.0.1: the peer did not close within 150 ms of the collector stopping"])
      // Having read our FIN the peer reads no more; its next write meets the reset.
      silent.write("\n")
      yield* Effect.promise(() => closed(silent))
      expect(clientError?.message).toMatch(/ECONNRESET|EPIPE/)
    })
  )
})
