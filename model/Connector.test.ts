// Connector settings: the tcp shape deployment files already use still decodes, defaults are
// filled in, limits and contradictory TLS settings are refused, and passwords stay redacted.
import { describe, expect, it } from "@effect/vitest"
import { Either, Redacted, Schema } from "effect"
import { ConnectorSpec, effectiveTls, MaxConnectorBufferBytes, TcpConnector } from "./Connector.ts"

const decode = Schema.decodeUnknownEither(ConnectorSpec)
const decodeOk = (input: unknown) => Schema.decodeUnknownSync(ConnectorSpec)(input)
const refused = (input: unknown) => Either.isLeft(decode(input))

describe("ConnectorSpec", () => {
  it("decodes the tcp settings of existing deployment files to the same shape as before (no new fields appear)", () => {
    expect(decodeOk({ kind: "tcp", host: "127.0.0.1", port: 0 })).toEqual({ kind: "tcp", host: "127.0.0.1", port: 0, delimiter: "\n" })
    expect(decodeOk({ kind: "tcp", port: 5140, delimiter: "\t" })).toEqual({ kind: "tcp", host: "127.0.0.1", port: 5140, delimiter: "\t" })
    expect(Schema.decodeUnknownSync(TcpConnector)({ kind: "tcp", port: 1 })).toEqual(decodeOk({ kind: "tcp", port: 1 }))
  })

  it("accepts a tcp buffer of up to 64 MiB and refuses more", () => {
    expect(decodeOk({ kind: "tcp", port: 1, bufferBytes: MaxConnectorBufferBytes })).toMatchObject({ bufferBytes: 64 * 1024 * 1024 })
    expect(refused({ kind: "tcp", port: 1, bufferBytes: MaxConnectorBufferBytes + 1 })).toBe(true)
    expect(refused({ kind: "tcp", port: 1, delimiter: ";" })).toBe(true)
  })

  it("decodes every kind with its defaults", () => {
    expect(decodeOk({ kind: "udp", port: 514 })).toEqual({ kind: "udp", host: "127.0.0.1", port: 514 })
    expect(decodeOk({ kind: "http", port: 8080 })).toEqual({ kind: "http", host: "127.0.0.1", port: 8080, delimiter: "\n" })
    expect(decodeOk({ kind: "syslog", port: 514 })).toEqual({ kind: "syslog", host: "127.0.0.1", port: 514, transport: "udp" })
    expect(decodeOk({ kind: "nats", servers: ["nats://127.0.0.1:4222"], subject: "logs.>", queue: "collectors" })).toEqual({
      kind: "nats",
      servers: ["nats://127.0.0.1:4222"],
      subject: "logs.>",
      queue: "collectors"
    })
    expect(refused({ kind: "nats", servers: [], subject: "x" })).toBe(true)
    expect(refused({ kind: "ftp", port: 21 })).toBe(true)
  })

  it("decodes every TLS mode and keeps the PKCS#12 password redacted", () => {
    for (const mode of ["disabled", "enabled", "verified"]) expect(decodeOk({ kind: "tcp", port: 1, tls: { mode } })).toMatchObject({ tls: { mode } })
    const custom = decodeOk({ kind: "http", port: 1, tls: { mode: "custom", pfxPath: "/etc/corvus/collector.p12", password: "hunter2" } })
    expect(custom.kind === "http" && custom.tls?.mode === "custom" && Redacted.value(custom.tls.password)).toBe("hunter2")
    expect(JSON.stringify(custom)).not.toContain("hunter2")
    expect(String(custom.kind === "http" && custom.tls?.mode === "custom" ? custom.tls.password : "")).not.toContain("hunter2")
    expect(decodeOk({ kind: "tcp", port: 1, tls: { mode: "mutual" } })).toMatchObject({ tls: { mode: "mutual" } })
    expect(decodeOk({ kind: "tcp", port: 1, tls: { mode: "mutual", caPath: "/ca.pem", pfxPath: "/id.p12", password: "pw" } })).toMatchObject({
      tls: { mode: "mutual", caPath: "/ca.pem", pfxPath: "/id.p12" }
    })
  })

  it("refuses incomplete or contradictory TLS settings", () => {
    expect(refused({ kind: "tcp", port: 1, tls: { mode: "custom", pfxPath: "/id.p12" } })).toBe(true)
    expect(refused({ kind: "tcp", port: 1, tls: { mode: "mutual", pfxPath: "/id.p12" } })).toBe(true)
    expect(refused({ kind: "tcp", port: 1, tls: { mode: "sometimes" } })).toBe(true)
    expect(refused({ kind: "syslog", port: 1, transport: "tcp", tls: { mode: "enabled" } })).toBe(true)
    expect(refused({ kind: "syslog", port: 1, transport: "tls", tls: { mode: "disabled" } })).toBe(true)
  })

  it("syslog over tls runs with the enabled mode unless told otherwise; other transports never use TLS", () => {
    const overTls = decodeOk({ kind: "syslog", port: 1, transport: "tls" })
    const overTcp = decodeOk({ kind: "syslog", port: 1, transport: "tcp" })
    const mutual = decodeOk({ kind: "syslog", port: 1, transport: "tls", tls: { mode: "mutual" } })
    if (overTls.kind !== "syslog" || overTcp.kind !== "syslog" || mutual.kind !== "syslog") throw new Error("decoded the wrong kind")
    expect([effectiveTls(overTls), effectiveTls(overTcp), effectiveTls(mutual)]).toEqual([{ mode: "enabled" }, { mode: "disabled" }, { mode: "mutual" }])
  })
})
