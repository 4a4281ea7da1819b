// Connector settings of a collector (SPEC §3): how raw records reach it. One schema per kind,
// united by `kind`; the tcp shape stays the one deployment files already use.
import { Schema } from "effect"

/** A connector may hold at most this much unread input per connection (SPEC §3: buffer up to 64 MB). */
export const MaxConnectorBufferBytes = 64 * 1024 * 1024

const Host = Schema.optionalWith(Schema.String, { exact: true, default: () => "127.0.0.1" })
const Port = Schema.Int.pipe(Schema.between(0, 65535))
const FilePath = Schema.NonEmptyTrimmedString

/** The byte that separates records on a stream. */
export const Delimiter = Schema.Literal("\n", "\t", "\u0000")
export type Delimiter = typeof Delimiter.Type

/** A password from a configuration file: redacted as soon as it is decoded, so logs never show it. */
const Password = Schema.Redacted(Schema.String)

/** Plain TCP, no TLS. */
export const TlsDisabled = Schema.Struct({ mode: Schema.Literal("disabled") })
/** TLS with the node's certificate issued by the installation's Corvus CA; clients are not checked. */
export const TlsEnabled = Schema.Struct({ mode: Schema.Literal("enabled") })
/**
 * Same server side as `enabled`; the setting tells agents and the UI that clients are expected to
 * verify the collector against the Corvus CA.
 */
export const TlsVerified = Schema.Struct({ mode: Schema.Literal("verified") })
/** TLS with the operator's own identity from a password-protected PKCS#12 file. */
export const TlsCustom = Schema.Struct({
  mode: Schema.Literal("custom"),
  pfxPath: FilePath,
  password: Password,
  /** A PEM CA the container's certificate must be issued by; checked when the connector starts. */
  caPath: Schema.optionalWith(FilePath, { exact: true })
})
/**
 * Two-way authentication: a client certificate is required and must be issued by `caPath` (PEM;
 * default the Corvus CA). The server identity is `pfxPath`/`password` when given, otherwise the
 * node's Corvus-issued certificate.
 */
export const TlsMutual = Schema.Struct({
  mode: Schema.Literal("mutual"),
  caPath: Schema.optionalWith(FilePath, { exact: true }),
  pfxPath: Schema.optionalWith(FilePath, { exact: true }),
  password: Schema.optionalWith(Password, { exact: true })
}).pipe(
  Schema.filter((tls) => (tls.pfxPath === undefined) === (tls.password === undefined) || "pfxPath and password go together: give both or neither")
)

/** The TLS setting of a stream connector (tcp, http, syslog over TLS). */
export const ConnectorTls = Schema.Union(TlsDisabled, TlsEnabled, TlsVerified, TlsCustom, TlsMutual)
export type ConnectorTls = typeof ConnectorTls.Type
export type TlsMode = ConnectorTls["mode"]

const BufferBytes = Schema.Int.pipe(Schema.between(1, MaxConnectorBufferBytes))

/** TCP connector: records separated by a delimiter. */
export const TcpConnector = Schema.Struct({
  kind: Schema.Literal("tcp"),
  host: Host,
  port: Port,
  delimiter: Schema.optionalWith(Delimiter, { exact: true, default: () => "\n" as const }),
  /** Socket read high-water mark and the most a connection may hold of one unfinished record. */
  bufferBytes: Schema.optionalWith(BufferBytes, { exact: true }),
  /** Absent means disabled. */
  tls: Schema.optionalWith(ConnectorTls, { exact: true })
})
export type TcpConnector = typeof TcpConnector.Type

/** UDP connector: one datagram is one record, or several when a delimiter is configured. */
export const UdpConnector = Schema.Struct({
  kind: Schema.Literal("udp"),
  host: Host,
  port: Port,
  delimiter: Schema.optionalWith(Delimiter, { exact: true })
})
export type UdpConnector = typeof UdpConnector.Type

/** HTTP connector: `POST /input`, the body (gzip allowed) holds records separated by a delimiter. */
export const HttpConnector = Schema.Struct({
  kind: Schema.Literal("http"),
  host: Host,
  port: Port,
  delimiter: Schema.optionalWith(Delimiter, { exact: true, default: () => "\n" as const }),
  /** Larger bodies (before or after gunzip) are answered 413. Default 16 MiB. */
  maxBodyBytes: Schema.optionalWith(BufferBytes, { exact: true }),
  tls: Schema.optionalWith(ConnectorTls, { exact: true })
})
export type HttpConnector = typeof HttpConnector.Type

/** Syslog transports: TCP and TLS auto-detect octet counting or LF framing per message. */
export const SyslogTransport = Schema.Literal("tcp", "udp", "tls")
export type SyslogTransport = typeof SyslogTransport.Type

/**
 * Syslog connector. With transport `tls` the TLS setting defaults to `enabled`; tcp and udp
 * carry no TLS setting other than `disabled`.
 */
export const SyslogConnector = Schema.Struct({
  kind: Schema.Literal("syslog"),
  host: Host,
  port: Port,
  transport: Schema.optionalWith(SyslogTransport, { exact: true, default: () => "udp" as const }),
  tls: Schema.optionalWith(ConnectorTls, { exact: true })
}).pipe(
  Schema.filter((spec) => {
    if (spec.transport === "tls") return spec.tls?.mode !== "disabled" || "syslog over transport tls cannot have tls mode disabled"
    return spec.tls === undefined || spec.tls.mode === "disabled" || `syslog over ${spec.transport} cannot use TLS; set transport to tls`
  })
)
export type SyslogConnector = typeof SyslogConnector.Type

/** NATS connector: every message on `subject` is one record; a queue group shares the work. */
export const NatsConnector = Schema.Struct({
  kind: Schema.Literal("nats"),
  servers: Schema.NonEmptyArray(Schema.NonEmptyTrimmedString),
  subject: Schema.NonEmptyTrimmedString,
  queue: Schema.optionalWith(Schema.NonEmptyTrimmedString, { exact: true })
})
export type NatsConnector = typeof NatsConnector.Type

/** Any connector, told apart by `kind`. */
export const ConnectorSpec = Schema.Union(TcpConnector, UdpConnector, HttpConnector, SyslogConnector, NatsConnector)
export type ConnectorSpec = typeof ConnectorSpec.Type
export type ConnectorKind = ConnectorSpec["kind"]

/** The TLS setting a stream connector really runs with (syslog over tls defaults to enabled). */
export const effectiveTls = (spec: TcpConnector | HttpConnector | SyslogConnector): ConnectorTls => {
  if (spec.kind === "syslog") {
    if (spec.transport !== "tls") return { mode: "disabled" }
    return spec.tls ?? { mode: "enabled" }
  }
  return spec.tls ?? { mode: "disabled" }
}
