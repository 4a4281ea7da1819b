// The http connector on real loopback sockets: POST /input answered only after the records were
// handed over, gzip bodies, the body limit (also after gunzip), wrong paths and methods, 503 while
// paused, and HTTPS including two-way authentication.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { connect } from "node:net"
import { gzipSync } from "node:zlib"
import { afterAll } from "vitest"
import type { HttpConnector as HttpConnectorSpec } from "../../model/Connector.ts"
import * as HttpConnector from "./HttpConnector.ts"
import { RecordingSink } from "./testing/RecordingSink.ts"
import { httpCall } from "./testing/TestClients.ts"
import { makeTestPki } from "./testing/TestPki.ts"

const pki = makeTestPki()
afterAll(() => pki.remove())
const options = { tls: { caDir: pki.caDir } }

const http = (extra: Partial<HttpConnectorSpec> = {}): HttpConnectorSpec => ({ kind: "http", host: "127.0.0.1", port: 0, delimiter: "\n", ...extra })

describe("HttpConnector", () => {
  it.scopedLive("answers 204 to POST /input after every record of the body reached the sink", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* HttpConnector.listen(http(), sink)
      const answer = yield* Effect.promise(() => httpCall({ port: connector.port, body: "one\ntwo\r\nthree" }))
      expect(answer.status).toBe(204)
      // No waiting: the answer itself proves the hand-over.
      expect(sink.records).toEqual([
        { text: "one", sourceAddress: "127.0.0.1" },
        { text: "two", sourceAddress: "127.0.0.1" },
        { text: "three", sourceAddress: "127.0.0.1" }
      ])
    })
  )

  it.scopedLive("accepts gzip bodies (Content-Encoding gzip) and splits by the configured delimiter", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* HttpConnector.listen(http({ delimiter: "\u0000" }), sink)
      const answer = yield* Effect.promise(() =>
        httpCall({ port: connector.port, path: "/input?source=agent", headers: { "Content-Encoding": "gzip" }, body: gzipSync("a\nb\u0000c\u0000") })
      )
      expect(answer.status).toBe(204)
      expect(sink.texts()).toEqual(["a\nb", "c"])
    })
  )

  it.scopedLive("answers 413 to a body over the limit by Content-Length, by streamed size, and after gunzip, handing nothing over", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* HttpConnector.listen(http({ maxBodyBytes: 1024 }), sink)
      const declared = yield* Effect.promise(() => httpCall({ port: connector.port, body: `${"x".repeat(2000)}\n` }))
      const streamed = yield* Effect.promise(() =>
        httpCall({ port: connector.port, headers: { "Transfer-Encoding": "chunked" }, body: `${"y".repeat(2000)}\n` })
      )
      const bomb = gzipSync(Buffer.alloc(64 * 1024, 0x0a))
      expect(bomb.length).toBeLessThan(1024)
      const inflated = yield* Effect.promise(() => httpCall({ port: connector.port, headers: { "Content-Encoding": "gzip" }, body: bomb }))
      expect([declared.status, streamed.status, inflated.status]).toEqual([413, 413, 413])
      expect(JSON.parse(inflated.body)).toEqual({ message: "the body is larger than 1024 bytes once decompressed" })
      expect(sink.records).toEqual([])
    })
  )

  it.scopedLive("counts a record over the 4 MB raw event limit and keeps the others of the body", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* HttpConnector.listen(http(), sink)
      const body = Buffer.concat([Buffer.from("ok1\n"), Buffer.alloc(4 * 1024 * 1024 + 1, 0x61), Buffer.from("\nok2")])
      const answer = yield* Effect.promise(() => httpCall({ port: connector.port, body }))
      expect(answer.status).toBe(204)
      expect(sink.texts()).toEqual(["ok1", "ok2"])
      expect(sink.oversizes).toEqual([4 * 1024 * 1024 + 1])
    })
  )

  it.scopedLive("answers 404 to other paths, 405 to other methods, 415 to other encodings, 400 to broken gzip", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* HttpConnector.listen(http(), sink)
      const port = connector.port
      const wrongPath = yield* Effect.promise(() => httpCall({ port, path: "/events", body: "x" }))
      const wrongMethod = yield* Effect.promise(() => httpCall({ port, method: "GET" }))
      const wrongEncoding = yield* Effect.promise(() => httpCall({ port, headers: { "Content-Encoding": "br" }, body: "x" }))
      const brokenGzip = yield* Effect.promise(() => httpCall({ port, headers: { "Content-Encoding": "gzip" }, body: "not gzip at all" }))
      expect([wrongPath.status, wrongMethod.status, wrongEncoding.status, brokenGzip.status]).toEqual([404, 405, 415, 400])
      expect(wrongMethod.headers["allow"]).toBe("POST")
      expect(JSON.parse(wrongPath.body)).toEqual({ message: "not found: records are posted to /input" })
      expect(sink.records).toEqual([])
    })
  )

  it.scopedLive("answers 503 with Retry-After while paused and accepts again after resume", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* HttpConnector.listen(http(), sink)
      connector.pause()
      const busy = yield* Effect.promise(() => httpCall({ port: connector.port, body: "later\n" }))
      expect(busy.status).toBe(503)
      expect(busy.headers["retry-after"]).toBe("1")
      connector.resume()
      const accepted = yield* Effect.promise(() => httpCall({ port: connector.port, body: "later\n" }))
      expect(accepted.status).toBe(204)
      expect(sink.texts()).toEqual(["later"])
    })
  )

  it.scopedLive("counts malformed HTTP as a connection error and keeps serving", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* HttpConnector.listen(http(), sink)
      const reply = yield* Effect.promise(
        () =>
          new Promise<string>((resolve) => {
            const socket = connect(connector.port, "127.0.0.1", () => socket.write("NOT HTTP AT ALL\r\n\r\n"))
            let text = ""
            socket.on("data", (chunk) => (text += chunk.toString()))
            socket.on("close", () => resolve(text))
            socket.on("error", () => resolve(text))
          })
      )
      expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request/)
      expect(sink.errors).toHaveLength(1)
      expect((yield* Effect.promise(() => httpCall({ port: connector.port, body: "fine" }))).status).toBe(204)
    })
  )
})

describe("HttpConnector over HTTPS", () => {
  it.scopedLive("serves HTTPS with the Corvus-issued certificate", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* HttpConnector.listen(http({ tls: { mode: "verified" } }), sink, options)
      const answer = yield* Effect.promise(() => httpCall({ port: connector.port, body: "secure\n", tls: { ca: pki.corvusCa.certPem } }))
      expect(answer.status).toBe(204)
      expect(sink.texts()).toEqual(["secure"])
    })
  )

  it.scopedLive("with two-way authentication accepts a Corvus-issued client and refuses a foreign one, counting it", () =>
    Effect.gen(function* () {
      const sink = new RecordingSink()
      const connector = yield* HttpConnector.listen(http({ tls: { mode: "mutual" } }), sink, options)
      const accepted = yield* Effect.promise(() =>
        httpCall({ port: connector.port, body: "trusted\n", tls: { ca: pki.corvusCa.certPem, cert: pki.client.certPem, key: pki.client.keyPem } })
      )
      expect(accepted.status).toBe(204)
      const refused = yield* Effect.promise(() =>
        httpCall({ port: connector.port, body: "intruder\n", tls: { ca: pki.corvusCa.certPem, cert: pki.foreignClient.certPem, key: pki.foreignClient.keyPem } }).then(
          () => "answered",
          (error: Error) => error.message
        )
      )
      expect(refused).not.toBe("answered")
      yield* sink.waitFor((seen) => seen.errors.length === 1)
      expect(sink.texts()).toEqual(["trusted"])
      expect(sink.errors[0]).toMatchObject({ _tag: "TlsHandshakeRefused", reason: "ForeignClientCertificate", remoteAddress: "127.0.0.1" })
    })
  )
})
