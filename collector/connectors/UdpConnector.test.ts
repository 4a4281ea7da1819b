// The udp connector on real loopback sockets: one datagram one record (trailing LF, CRLF or NUL
// dropped), several per datagram with a delimiter, and datagrams kept while paused.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as UdpConnector from "./UdpConnector.ts"
import { RecordingSink } from "./testing/RecordingSink.ts"
import { sendUdp } from "./testing/TestClients.ts"

describe("UdpConnector", () => {
  it.scopedLive("makes each datagram one record with the sender's IP, without its LF, CRLF or NUL trailer", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* UdpConnector.listen({ kind: "udp", host: "127.0.0.1", port: 0 }, sink)
      yield* Effect.promise(() => sendUdp(connector.port, ["one\n", "two\r\n", "three\u0000", "multi\nline", ""]))
      yield* sink.waitFor((seen) => seen.records.length === 4)
      expect(sink.texts().sort()).toEqual(["multi\nline", "one", "three", "two"])
      expect(new Set(sink.records.map((record) => record.sourceAddress))).toEqual(new Set(["127.0.0.1"]))
    })
  )

  it.scopedLive("splits a datagram into several records when a delimiter is configured", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* UdpConnector.listen({ kind: "udp", host: "127.0.0.1", port: 0, delimiter: "\n" }, sink)
      yield* Effect.promise(() => sendUdp(connector.port, ["a\nb\nc"]))
      yield* sink.waitFor((seen) => seen.records.length === 3)
      expect(sink.texts()).toEqual(["a", "b", "c"])
    })
  )

  it.scopedLive("listens on IPv6 loopback", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* UdpConnector.listen({ kind: "udp", host: "::1", port: 0 }, sink)
      yield* Effect.promise(() => sendUdp(connector.port, ["v6"], "::1"))
      yield* sink.waitFor((seen) => seen.records.length === 1)
      expect(sink.records).toEqual([{ text: "v6", sourceAddress: "::1" }])
    })
  )

  it.scopedLive("keeps datagrams that arrive while paused and hands them over on resume", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* UdpConnector.listen({ kind: "udp", host: "127.0.0.1", port: 0 }, sink)
      connector.pause()
      yield* Effect.promise(() => sendUdp(connector.port, ["p1", "p2"]))
      yield* Effect.sleep("100 millis")
      expect(sink.records).toEqual([])
      connector.resume()
      yield* sink.waitFor((seen) => seen.records.length === 2)
      expect(sink.texts().sort()).toEqual(["p1", "p2"])
    })
  )

  it.scopedLive("fails to start with a CollectorError when the port is taken", () =>
    Effect.gen(function* () {
      const first = yield* UdpConnector.listen({ kind: "udp", host: "127.0.0.1", port: 0 }, new RecordingSink())
      const error = yield* Effect.flip(UdpConnector.listen({ kind: "udp", host: "127.0.0.1", port: first.port }, new RecordingSink()))
      expect(error).toMatchObject({ _tag: "CollectorError", message: `udp connector cannot listen on 127.0.0.1:${first.port}` })
    })
  )
})
