// The syslog connector on real loopback sockets: octet-counted and LF-framed messages (also mixed
// on one connection) over TCP and over TLS, one message per datagram over UDP, and a bad length
// prefix counted without losing the messages after it.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { afterAll } from "vitest"
import { SyslogConnector as SyslogConnectorSchema, type SyslogConnector as SyslogConnectorSpec } from "../../model/Connector.ts"
import * as SyslogConnector from "./SyslogConnector.ts"
import { RecordingSink } from "./testing/RecordingSink.ts"
import { sendTcp, sendTls, sendUdp } from "./testing/TestClients.ts"
import { makeTestPki } from "./testing/TestPki.ts"

const pki = makeTestPki()
afterAll(() => pki.remove())
const options = { tls: { caDir: pki.caDir } }

const rfc5424 = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event"
const rfc3164 = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"
const octet = (message: string) => `${Buffer.byteLength(message, "utf8")} ${message}`
const syslog = (transport: SyslogConnectorSpec["transport"], extra: Partial<SyslogConnectorSpec> = {}): SyslogConnectorSpec =>
  Schema.decodeUnknownSync(SyslogConnectorSchema)({ kind: "syslog", host: "127.0.0.1", port: 0, transport, ...extra })

describe("SyslogConnector over TCP", () => {
  it.scopedLive("reads octet-counted frames, LF-framed messages and both mixed on one connection", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* SyslogConnector.listen(syslog("tcp"), sink, options)
      yield* Effect.promise(() => sendTcp(connector.port, octet(rfc5424) + octet("<13>1 - - - - - - two\nlines")))
      yield* Effect.promise(() => sendTcp(connector.port, `${rfc3164}\n${rfc5424}\r\n`))
      yield* Effect.promise(() => sendTcp(connector.port, `${octet(rfc5424)}${rfc3164}\n`))
      yield* sink.waitFor((seen) => seen.records.length === 6)
      expect(sink.texts().sort()).toEqual([rfc3164, rfc3164, rfc5424, rfc5424, rfc5424, "<13>1 - - - - - - two\nlines"].sort())
      expect(new Set(sink.records.map((record) => record.sourceAddress))).toEqual(new Set(["127.0.0.1"]))
    })
  )

  it.scopedLive("counts a frame with a bad length prefix and goes on with the messages after the next LF", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* SyslogConnector.listen(syslog("tcp"), sink, options)
      yield* Effect.promise(() => sendTcp(connector.port, `${octet("<1>first")}12x lost frame\n${octet("<1>after")}`))
      yield* sink.waitFor((seen) => seen.records.length === 2 && seen.errors.length === 1)
      expect(sink.texts()).toEqual(["<1>first", "<1>after"])
      expect(sink.errors[0]).toMatchObject({ _tag: "SyslogFrameInvalid", prefix: "12x", skippedBytes: 14 })
    })
  )
})

describe("SyslogConnector over TLS", () => {
  it.scopedLive("reads both framings over TLS with the node certificate from the Corvus CA (tls defaults to enabled)", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* SyslogConnector.listen(syslog("tls"), sink, options)
      const octetOutcome = yield* Effect.promise(() => sendTls(connector.port, octet(rfc5424) + octet(rfc3164), { ca: pki.corvusCa.certPem }))
      const lineOutcome = yield* Effect.promise(() => sendTls(connector.port, `${rfc3164}\n${rfc5424}\n`, { ca: pki.corvusCa.certPem }))
      expect([octetOutcome.authorized, lineOutcome.authorized]).toEqual([true, true])
      yield* sink.waitFor((seen) => seen.records.length === 4)
      expect(sink.texts().sort()).toEqual([rfc3164, rfc3164, rfc5424, rfc5424].sort())
    })
  )

  it.scopedLive("with two-way authentication accepts a Corvus-issued client and refuses one without a certificate", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* SyslogConnector.listen(syslog("tls", { tls: { mode: "mutual" } }), sink, options)
      yield* Effect.promise(() => sendTls(connector.port, octet("<1>trusted"), { ca: pki.corvusCa.certPem, cert: pki.client.certPem, key: pki.client.keyPem }))
      yield* Effect.promise(() => sendTls(connector.port, octet("<1>anonymous"), { ca: pki.corvusCa.certPem }))
      yield* sink.waitFor((seen) => seen.records.length === 1 && seen.errors.length === 1)
      expect(sink.texts()).toEqual(["<1>trusted"])
      expect(sink.errors[0]).toMatchObject({ _tag: "TlsHandshakeRefused", reason: "NoClientCertificate" })
    })
  )
})

describe("SyslogConnector over UDP", () => {
  it.scopedLive("makes each datagram one message", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* SyslogConnector.listen(syslog("udp"), sink)
      yield* Effect.promise(() => sendUdp(connector.port, [rfc5424, `${rfc3164}\n`]))
      yield* sink.waitFor((seen) => seen.records.length === 2)
      expect(sink.texts().sort()).toEqual([rfc3164, rfc5424].sort())
    })
  )
})
