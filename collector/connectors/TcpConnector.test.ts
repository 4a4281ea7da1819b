// The tcp connector on real loopback sockets: records with their source address, every delimiter,
// the record limit with recovery, backpressure, the draining close, and each TLS mode including
// two-way authentication accepting CA-issued clients and refusing the others with a counted, clear error.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Redacted, Scope } from "effect"
import { connect, type Socket } from "node:net"
import { afterAll } from "vitest"
import type { TcpConnector as TcpConnectorSpec } from "../../model/Connector.ts"
import { MaxRawEventBytes } from "../../model/Collector.ts"
import { toPkcs12 } from "../tls/CertificateAuthority.ts"
import * as TcpConnector from "./TcpConnector.ts"
import { RecordingSink } from "./testing/RecordingSink.ts"
import { sendTcp, sendTls } from "./testing/TestClients.ts"
import { makeTestPki, PfxPassword } from "./testing/TestPki.ts"

const pki = makeTestPki()
afterAll(() => pki.remove())
const options = { tls: { caDir: pki.caDir } }

const tcp = (extra: Partial<TcpConnectorSpec> = {}): TcpConnectorSpec => ({ kind: "tcp", host: "127.0.0.1", port: 0, delimiter: "\n", ...extra })

describe("TcpConnector plain", () => {
  it.scopedLive("hands each newline-delimited record over with the peer's IP as source address", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(tcp(), sink)
      yield* Effect.promise(() => sendTcp(connector.port, "first\nsecond\r\nthird"))
      yield* sink.waitFor((seen) => seen.records.length === 3)
      expect(sink.records).toEqual([
        { text: "first", sourceAddress: "127.0.0.1" },
        { text: "second", sourceAddress: "127.0.0.1" },
        { text: "third", sourceAddress: "127.0.0.1" }
      ])
    })
  )

  it.scopedLive("splits on tab and on NUL when configured", () =>
    Effect.gen(function* () {
      for (const [delimiter, payload] of [["\t", "a\nb\tc\t"], ["\u0000", "a\tb\u0000c\u0000"]] as const) {
        const sink = new RecordingSink()
        const connector = yield* TcpConnector.listen(tcp({ delimiter }), sink)
        yield* Effect.promise(() => sendTcp(connector.port, payload))
        yield* sink.waitFor((seen) => seen.records.length === 2)
        expect(sink.texts()).toEqual(delimiter === "\t" ? ["a\nb", "c"] : ["a\tb", "c"])
      }
    })
  )

  it.scopedLive("reports an IPv6 loopback peer as ::1", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(tcp({ host: "::1" }), sink)
      yield* Effect.promise(() => sendTcp(connector.port, "v6\n", "::1"))
      yield* sink.waitFor((seen) => seen.records.length === 1)
      expect(sink.records).toEqual([{ text: "v6", sourceAddress: "::1" }])
    })
  )

  it.scopedLive("a record over the 4 MB raw event limit is counted and the connection recovers at the next delimiter", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(tcp(), sink)
      const huge = Buffer.alloc(MaxRawEventBytes + 1, 0x61)
      yield* Effect.promise(() => sendTcp(connector.port, Buffer.concat([Buffer.from("before\n"), huge, Buffer.from("\nafter\n")])))
      yield* sink.waitFor((seen) => seen.records.length === 2)
      expect(sink.texts()).toEqual(["before", "after"])
      expect(sink.oversizes).toEqual([MaxRawEventBytes + 1])
    })
  )

  it.scopedLive("bufferBytes lowers the record limit for the connection", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(tcp({ bufferBytes: 8 }), sink)
      yield* Effect.promise(() => sendTcp(connector.port, "12345678\n123456789\nok\n"))
      yield* sink.waitFor((seen) => seen.records.length === 2)
      expect(sink.texts()).toEqual(["12345678", "ok"])
      expect(sink.oversizes).toEqual([9])
    })
  )

  it.scopedLive("pause stops reading every socket, resume delivers what the peers sent meanwhile", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(tcp(), sink)
      connector.pause()
      yield* Effect.promise(() => sendTcp(connector.port, "held 1\nheld 2\n"))
      yield* Effect.sleep("150 millis")
      expect(sink.records).toEqual([])
      connector.resume()
      yield* sink.waitFor((seen) => seen.records.length === 2)
      expect(sink.texts()).toEqual(["held 1", "held 2"])
    })
  )
})

/** A client that keeps its side open after the collector's FIN, as the agent does, and records how the connection ended. */
const halfOpenClient = (port: number) =>
  new Promise<{ readonly socket: Socket; readonly finReceived: Promise<void>; readonly closed: Promise<{ readonly error: Error | undefined }> }>((resolve, reject) => {
    let error: Error | undefined
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => {
      socket.off("error", reject)
      socket.on("error", (cause) => (error = cause))
      resolve({
        socket,
        finReceived: new Promise((fin) => socket.once("end", () => fin())),
        closed: new Promise((done) => socket.once("close", () => done({ error })))
      })
    })
    socket.on("error", reject)
    socket.resume()
  })

describe("TcpConnector draining close", () => {
  it.live("closing sends FIN and reads on until the peer's FIN: a record sent after the FIN is delivered and the peer sees no reset", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const scope = yield* Scope.make()
      const connector = yield* TcpConnector.listen(tcp(), sink).pipe(Scope.extend(scope))
      const client = yield* Effect.promise(() => halfOpenClient(connector.port))
      client.socket.write("one\ntwo\nthe la")
      yield* sink.waitFor((seen) => seen.records.length === 2)
      const startedAt = Date.now()
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      // The collector's FIN arrives while the client is still in the middle of its last record.
      yield* Effect.promise(() => client.finReceived)
      client.socket.end("st one")
      yield* Fiber.join(closing)
      expect(Date.now() - startedAt).toBeLessThan(1_000)
      expect(sink.texts()).toEqual(["one", "two", "the last one"])
      expect(sink.errors).toEqual([])
      expect(yield* Effect.promise(() => client.closed)).toEqual({ error: undefined })
    })
  )

  it.live("a paused connector is resumed by the drain: what the peer sent while paused is delivered", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const scope = yield* Scope.make()
      const connector = yield* TcpConnector.listen(tcp(), sink).pipe(Scope.extend(scope))
      connector.pause()
      const client = yield* Effect.promise(() => halfOpenClient(connector.port))
      client.socket.write("held 1\nheld 2\n")
      yield* Effect.sleep("100 millis")
      expect(sink.records).toEqual([])
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* Effect.promise(() => client.finReceived)
      // The collector may ask for a pause again while draining; the drain must still finish.
      connector.pause()
      client.socket.end()
      yield* Fiber.join(closing)
      expect(sink.texts()).toEqual(["held 1", "held 2"])
      expect(yield* Effect.promise(() => client.closed)).toEqual({ error: undefined })
    })
  )
})

describe("TcpConnector TLS", () => {
  it.scopedLive("enabled and verified: a client verifying against the Corvus CA delivers records", () =>
    Effect.gen(function* () {
      for (const mode of ["enabled", "verified"] as const) {
        const sink = new RecordingSink()
        const connector = yield* TcpConnector.listen(tcp({ tls: { mode } }), sink, options)
        const outcome = yield* Effect.promise(() => sendTls(connector.port, `secret over ${mode}\n`, { ca: pki.corvusCa.certPem }))
        expect(outcome).toEqual({ error: undefined, authorized: true })
        yield* sink.waitFor((seen) => seen.records.length === 1)
        expect(sink.records).toEqual([{ text: `secret over ${mode}`, sourceAddress: "127.0.0.1" }])
      }
    })
  )

  it.scopedLive("custom: the collector presents the operator's PKCS#12 identity; a client that does not trust it is counted", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const spec = tcp({ tls: { mode: "custom", pfxPath: pki.customServerPfxPath, password: Redacted.make(PfxPassword) } })
      const connector = yield* TcpConnector.listen(spec, sink, options)
      const outcome = yield* Effect.promise(() => sendTls(connector.port, "custom\n", { ca: pki.customerCa.certPem }))
      expect(outcome.authorized).toBe(true)
      yield* sink.waitFor((seen) => seen.records.length === 1)
      const refused = yield* Effect.promise(() => sendTls(connector.port, "x\n", { ca: pki.corvusCa.certPem }))
      expect(refused.error?.message).toMatch(/unable to verify|self[- ]signed|unable to get local issuer/i)
      yield* sink.waitFor((seen) => seen.errors.length === 1)
      expect(sink.errorMessages()).toEqual([
        "TLS connection from 127.0.0.1 refused: client closed the connection during the TLS handshake; it may not trust the collector's certificate"
      ])
    })
  )

  it.scopedLive("a TLS setting that cannot be used fails the connector before it listens", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        TcpConnector.listen(tcp({ tls: { mode: "custom", pfxPath: pki.customServerPfxPath, password: Redacted.make("wrong") } }), new RecordingSink(), options)
      )
      expect(error).toMatchObject({ _tag: "TlsConfigInvalid", reason: "WrongPassword" })
    })
  )

  it.scopedLive("plain TCP on a TLS port is refused and counted", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(tcp({ tls: { mode: "enabled" } }), sink, options)
      yield* Effect.promise(() => sendTcp(connector.port, "plain text\n").catch(() => undefined))
      yield* sink.waitFor((seen) => seen.errors.length === 1)
      expect(sink.records).toEqual([])
      expect(sink.errorMessages()).toEqual(["TLS connection from 127.0.0.1 refused: client did not speak TLS (plain traffic on a TLS port?)"])
    })
  )
})

describe("TcpConnector two-way authentication", () => {
  const mutual = tcp({ tls: { mode: "mutual" } })

  it.scopedLive("accepts a client certificate issued by the Corvus CA, given as PEM or as a PKCS#12 container", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(mutual, sink, options)
      const pem = yield* Effect.promise(() => sendTls(connector.port, "by pem\n", { ca: pki.corvusCa.certPem, cert: pki.client.certPem, key: pki.client.keyPem }))
      const pfx = toPkcs12(pki.client, "agent-password", [pki.corvusCa.certPem])
      const container = yield* Effect.promise(() => sendTls(connector.port, "by pfx\n", { ca: pki.corvusCa.certPem, pfx, passphrase: "agent-password" }))
      expect([pem.error, container.error]).toEqual([undefined, undefined])
      yield* sink.waitFor((seen) => seen.records.length === 2)
      expect(sink.texts().sort()).toEqual(["by pem", "by pfx"])
      expect(sink.errors).toEqual([])
    })
  )

  it.scopedLive("refuses a client without a certificate at the handshake and counts it", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(mutual, sink, options)
      const outcome = yield* Effect.promise(() => sendTls(connector.port, "sneaky\n", { ca: pki.corvusCa.certPem }))
      expect(outcome.error).toBeDefined()
      yield* sink.waitFor((seen) => seen.errors.length === 1)
      expect(sink.records).toEqual([])
      expect(sink.errorMessages()).toEqual(["TLS connection from 127.0.0.1 refused: client presented no certificate; two-way authentication requires one"])
      expect(sink.errors[0]).toMatchObject({ _tag: "TlsHandshakeRefused", reason: "NoClientCertificate", remoteAddress: "127.0.0.1" })
    })
  )

  it.scopedLive("refuses a client certificate from a foreign CA and counts it", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(mutual, sink, options)
      yield* Effect.promise(() => sendTls(connector.port, "intruder\n", { ca: pki.corvusCa.certPem, cert: pki.foreignClient.certPem, key: pki.foreignClient.keyPem }))
      yield* sink.waitFor((seen) => seen.errors.length === 1)
      expect(sink.records).toEqual([])
      expect(sink.errors[0]).toMatchObject({ _tag: "TlsHandshakeRefused", reason: "ForeignClientCertificate", remoteAddress: "127.0.0.1" })
      expect(sink.errorMessages()[0]).toMatch(/^TLS connection from 127\.0\.0\.1 refused: client certificate is not issued by the configured CA \(/)
    })
  )

  it.scopedLive("refuses an expired client certificate and says so", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(mutual, sink, options)
      yield* Effect.promise(() => sendTls(connector.port, "old\n", { ca: pki.corvusCa.certPem, cert: pki.expiredClient.certPem, key: pki.expiredClient.keyPem }))
      yield* sink.waitFor((seen) => seen.errors.length === 1)
      expect(sink.records).toEqual([])
      expect(sink.errorMessages()).toEqual(["TLS connection from 127.0.0.1 refused: client certificate has expired"])
    })
  )

  it.scopedLive("with caPath, trusts the customer's CA instead of the Corvus CA", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* TcpConnector.listen(tcp({ tls: { mode: "mutual", caPath: pki.customerCaPath } }), sink, options)
      yield* Effect.promise(() =>
        sendTls(connector.port, "customer agent\n", { ca: pki.corvusCa.certPem, cert: pki.customerClient.certPem, key: pki.customerClient.keyPem })
      )
      yield* Effect.promise(() => sendTls(connector.port, "corvus agent\n", { ca: pki.corvusCa.certPem, cert: pki.client.certPem, key: pki.client.keyPem }))
      yield* sink.waitFor((seen) => seen.records.length === 1 && seen.errors.length === 1)
      expect(sink.texts()).toEqual(["customer agent"])
      expect(sink.errors[0]).toMatchObject({ reason: "ForeignClientCertificate" })
    })
  )
})
