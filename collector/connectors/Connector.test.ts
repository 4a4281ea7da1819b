// Connector.listen dispatches by kind: settings decoded from a collector file start the right
// connector, each feeding the same sink, and a TLS mode without a CA directory fails clearly.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { ConnectorSpec } from "../../model/Connector.ts"
import * as Connector from "./Connector.ts"
import { RecordingSink } from "./testing/RecordingSink.ts"
import { httpCall, sendTcp, sendUdp } from "./testing/TestClients.ts"

const decode = Schema.decodeUnknownSync(ConnectorSpec)

describe("Connector.listen", () => {
  it.scopedLive("starts tcp, udp, http and syslog connectors from decoded settings, all feeding the sink", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const tcp = yield* Connector.listen(decode({ kind: "tcp", port: 0 }), sink)
      const udp = yield* Connector.listen(decode({ kind: "udp", port: 0 }), sink)
      const http = yield* Connector.listen(decode({ kind: "http", port: 0 }), sink)
      const syslog = yield* Connector.listen(decode({ kind: "syslog", port: 0, transport: "tcp" }), sink)
      yield* Effect.promise(() => sendTcp(tcp.port, "via tcp\n"))
      yield* Effect.promise(() => sendUdp(udp.port, ["via udp"]))
      yield* Effect.promise(() => httpCall({ port: http.port, body: "via http" }))
      yield* Effect.promise(() => sendTcp(syslog.port, "13 <1>via syslog"))
      yield* sink.waitFor((seen) => seen.records.length === 4)
      expect(sink.texts().sort()).toEqual(["<1>via syslog", "via http", "via tcp", "via udp"])
    })
  )

  it.scopedLive("a TLS mode without an installation CA directory fails with TlsConfigInvalid before listening", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Connector.listen(decode({ kind: "tcp", port: 0, tls: { mode: "enabled" } }), new RecordingSink()))
      expect(error).toMatchObject({ _tag: "TlsConfigInvalid", reason: "CaStoreUnavailable" })
    })
  )
})
