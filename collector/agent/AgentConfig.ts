// The one typed configuration of `corvus agent` (SPEC §3): collector addresses in failover order,
// sources, batching, the bounded queue, TLS, status. Decoded from a JSON/YAML document that the
// CLI merges with its flags; the PKCS#12 password comes from the environment or a file, never a flag.
import { Config, Data, Option, ParseResult, type Redacted, Schema } from "effect"

/** The configuration cannot be used; the message names the setting and what to do. */
export class AgentConfigInvalid extends Data.TaggedError("AgentConfigInvalid")<{ readonly message: string }> {}

export type Transport = "tcp" | "tls" | "udp"

/** One collector address: plain TCP, TCP with TLS, or UDP (one record per datagram, no delivery guarantee). */
export interface CollectorAddress {
  readonly transport: Transport
  readonly host: string
  readonly port: number
}

const AddressPattern = /^(?:(tcp|tls|udp):\/\/)?(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/

/** Parses `tcp://host:port`, `tls://host:port`, `udp://host:port` or `host:port` (TCP); IPv6 hosts in brackets. */
export const parseCollectorAddress = (text: string): CollectorAddress | string => {
  const match = AddressPattern.exec(text.trim())
  if (match === null) return `"${text}" is not a collector address (tcp://host:port, tls://host:port, udp://host:port or host:port)`
  const port = Number(match[3])
  if (port < 1 || port > 65535) return `"${text}": port ${port} is out of range 1-65535`
  const host = match[2]!.startsWith("[") ? match[2]!.slice(1, -1) : match[2]!
  return { transport: (match[1] ?? "tcp") as Transport, host, port }
}

/** The canonical text of an address, as status lines and logs show it. */
export const formatCollectorAddress = (address: CollectorAddress): string =>
  `${address.transport}://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`

const CollectorAddressSchema = Schema.transformOrFail(
  Schema.String,
  Schema.Struct({ transport: Schema.Literal("tcp", "tls", "udp"), host: Schema.String, port: Schema.Int }),
  {
    strict: true,
    decode: (text, _, ast) => {
      const parsed = parseCollectorAddress(text)
      return typeof parsed === "string" ? ParseResult.fail(new ParseResult.Type(ast, text, parsed)) : ParseResult.succeed(parsed)
    },
    encode: (address) => ParseResult.succeed(formatCollectorAddress(address))
  }
)

/** Where a local socket source listens: a Unix domain socket, or TCP on a loopback address only. */
export type ListenAddress = { readonly kind: "unix"; readonly path: string } | { readonly kind: "tcp"; readonly host: string; readonly port: number }

const isLoopback = (host: string): boolean => host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

/** Parses `unix:/path/agent.sock` (or a bare absolute path) and `tcp://127.0.0.1:port`. */
export const parseListenAddress = (text: string): ListenAddress | string => {
  if (text.startsWith("unix:")) return text.length > 5 ? { kind: "unix", path: text.slice(5) } : `"${text}": the socket path is missing`
  if (text.startsWith("/")) return { kind: "unix", path: text }
  const match = /^(?:tcp:\/\/)?(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.exec(text)
  if (match === null) return `"${text}" is not a local socket (unix:/path/agent.sock or tcp://127.0.0.1:port)`
  const host = match[1]!.startsWith("[") ? match[1]!.slice(1, -1) : match[1]!
  const port = Number(match[2])
  if (port > 65535) return `"${text}": port ${port} is out of range`
  // The agent reads local events; a listener on other interfaces would take events from the network.
  if (!isLoopback(host)) return `"${text}": the agent listens on loopback addresses only (127.0.0.1, ::1, localhost)`
  return { kind: "tcp", host, port }
}

export const formatListenAddress = (address: ListenAddress): string =>
  address.kind === "unix" ? `unix:${address.path}` : `tcp://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`

const ListenAddressSchema = Schema.transformOrFail(
  Schema.String,
  Schema.Union(
    Schema.Struct({ kind: Schema.Literal("unix"), path: Schema.String }),
    Schema.Struct({ kind: Schema.Literal("tcp"), host: Schema.String, port: Schema.Int })
  ),
  {
    strict: true,
    decode: (text, _, ast) => {
      const parsed = parseListenAddress(text)
      return typeof parsed === "string" ? ParseResult.fail(new ParseResult.Type(ast, text, parsed)) : ParseResult.succeed(parsed)
    },
    encode: (address) => ParseResult.succeed(formatListenAddress(address))
  }
)

/** The record delimiter, as in the collector's tcp connector; names are accepted for flags and YAML. */
export type Delimiter = "\n" | "\t" | "\u0000"
const delimiterNames: Record<string, Delimiter> = { "\n": "\n", "\t": "\t", "\u0000": "\u0000", lf: "\n", newline: "\n", tab: "\t", nul: "\u0000" }
const DelimiterSchema = Schema.transformOrFail(Schema.String, Schema.Literal("\n", "\t", "\u0000"), {
  strict: true,
  decode: (text, _, ast) => {
    const delimiter = delimiterNames[text.toLowerCase()]
    return delimiter === undefined ? ParseResult.fail(new ParseResult.Type(ast, text, `delimiter must be lf, tab or nul`)) : ParseResult.succeed(delimiter)
  },
  encode: (delimiter) => ParseResult.succeed(delimiter)
})

const Seconds = Schema.Number.pipe(Schema.positive(), Schema.lessThanOrEqualTo(86_400))
const PositiveInt = Schema.Int.pipe(Schema.positive())

export const FileSourceSpec = Schema.Struct({
  file: Schema.NonEmptyString.annotations({ description: "a file to follow like tail -F; its read position survives restarts" }),
  startAt: Schema.optionalWith(Schema.Literal("beginning", "end"), { exact: true, default: () => "beginning" as const }).annotations({
    description: "where to start in a file the agent has not read before"
  })
})
export const StdinSourceSpec = Schema.Struct({ stdin: Schema.Literal(true) })
export const ListenSourceSpec = Schema.Struct({
  listen: ListenAddressSchema.annotations({ description: "a local socket that programs write records to" })
})
export const SourceSpec = Schema.Union(FileSourceSpec, StdinSourceSpec, ListenSourceSpec)
export type SourceSpec = typeof SourceSpec.Type

const defaultBatch = { records: 1_000, bytes: 1024 * 1024 }
const defaultQueue = { records: 100_000, bytes: 64 * 1024 * 1024, whenFull: "backpressure" as const }
const defaultStatus = { interval: 60 }

export const AgentDocument = Schema.Struct({
  collectors: Schema.NonEmptyArray(CollectorAddressSchema).annotations({
    description: "collector addresses in failover order: the agent uses the first that works and moves to the next on failure or timeout"
  }),
  sources: Schema.NonEmptyArray(SourceSpec),
  delimiter: Schema.optionalWith(DelimiterSchema, { exact: true, default: () => "\n" as const }),
  timeout: Schema.optionalWith(Seconds, { exact: true, default: () => 10 }).annotations({
    description: "seconds a connection attempt or a write may take before the agent moves to the next address"
  }),
  maxTransmissionDelay: Schema.optionalWith(Seconds, { exact: true, default: () => 30 }).annotations({
    description: "seconds a record may wait for its batch to fill before it is sent anyway"
  }),
  resendWindow: Schema.optionalWith(Seconds, { exact: true, default: () => 5 }).annotations({
    description: "seconds a written batch stays unconfirmed over plain TCP; an abrupt failure re-sends what is inside the window"
  }),
  batch: Schema.optionalWith(
    Schema.Struct({
      records: Schema.optionalWith(PositiveInt, { exact: true, default: () => defaultBatch.records }),
      bytes: Schema.optionalWith(PositiveInt, { exact: true, default: () => defaultBatch.bytes })
    }),
    { exact: true, default: () => defaultBatch }
  ),
  queue: Schema.optionalWith(
    Schema.Struct({
      records: Schema.optionalWith(PositiveInt, { exact: true, default: () => defaultQueue.records }),
      bytes: Schema.optionalWith(PositiveInt, { exact: true, default: () => defaultQueue.bytes }),
      whenFull: Schema.optionalWith(Schema.Literal("backpressure", "drop-oldest"), { exact: true, default: () => defaultQueue.whenFull }).annotations({
        description: "backpressure: sources stop reading until there is room; drop-oldest: the oldest unsent records are dropped and counted"
      })
    }),
    { exact: true, default: () => defaultQueue }
  ),
  tls: Schema.optionalWith(
    Schema.Struct({
      ca: Schema.optional(Schema.NonEmptyString).annotations({ description: "PEM file of the CA that signed the collectors' certificates (the Corvus CA)" }),
      pfx: Schema.optional(Schema.NonEmptyString).annotations({ description: "the agent's identity for two-way authentication: a password-protected PKCS#12 file" }),
      passwordFile: Schema.optional(Schema.NonEmptyString).annotations({ description: "a file holding the PKCS#12 password (else CORVUS_AGENT_PFX_PASSWORD)" }),
      serverName: Schema.optional(Schema.NonEmptyString).annotations({ description: "the name the collector certificate must carry (default: the address host)" })
    }),
    { exact: true, default: () => ({}) }
  ),
  stateDir: Schema.optionalWith(Schema.NonEmptyString, { exact: true, default: () => ".corvus/agent" }).annotations({
    description: "where the agent keeps the read position of each followed file"
  }),
  status: Schema.optionalWith(
    Schema.Struct({
      interval: Schema.optionalWith(Schema.Number.pipe(Schema.nonNegative()), { exact: true, default: () => defaultStatus.interval }).annotations({
        description: "seconds between status lines on stdout (0: only on SIGUSR1)"
      }),
      file: Schema.optional(Schema.NonEmptyString).annotations({ description: "a file rewritten with the latest status line" })
    }),
    { exact: true, default: () => defaultStatus }
  )
}).pipe(
  Schema.filter((document) => {
    if (document.batch.records > document.queue.records) return `batch.records (${document.batch.records}) exceeds queue.records (${document.queue.records})`
    if (document.batch.bytes > document.queue.bytes) return `batch.bytes (${document.batch.bytes}) exceeds queue.bytes (${document.queue.bytes})`
    const tcpLike = document.collectors.some((address) => address.transport !== "udp")
    if (!tcpLike && document.tls.pfx !== undefined) return "tls.pfx is set but no collector address uses tls://"
    return true
  })
)
export type AgentDocument = typeof AgentDocument.Type
export type AgentDocumentEncoded = typeof AgentDocument.Encoded

/** Decodes the merged document, failing with every path and reason at once. */
export const decodeAgentDocument = Schema.decodeUnknown(AgentDocument, { errors: "all" })

/** The PKCS#12 password from the environment; a file named in the config takes its place. */
export const PfxPasswordFromEnv: Config.Config<Redacted.Redacted<string> | undefined> = Config.option(Config.redacted("CORVUS_AGENT_PFX_PASSWORD")).pipe(
  Config.map(Option.getOrUndefined),
  Config.withDescription("password of the agent's PKCS#12 identity (tls.pfx)")
)
