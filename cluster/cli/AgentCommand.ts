// `corvus agent`: reads flags and an optional YAML/JSON config file (flags win), and runs the
// agent until it is interrupted or, when its only source is stdin, until stdin ended and
// everything read was delivered.
import { Console, Data, Effect, ParseResult } from "effect"
import { readFile } from "node:fs/promises"
import { dirname, isAbsolute, resolve } from "node:path"
import { parseArgs } from "node:util"
import { parse as parseYaml } from "yaml"
import * as Agent from "../../collector/agent/Agent.ts"
import { type AgentDocument, decodeAgentDocument, PfxPasswordFromEnv } from "../../collector/agent/AgentConfig.ts"

/** The command line or the config file cannot be used; the CLI exits with status 2. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

export const agentUsage = `Usage: corvus agent [options]

Reads events on this host (files, stdin, a local socket) and ships them in batches to Corvus
collectors, using the first address that works and failing over to the next, in order.

Collectors (in failover order; repeat the flag):
  --collector <address>        tcp://host:port, tls://host:port, udp://host:port (host:port is tcp)
Sources (repeat the flags; at least one):
  --file <path>                follow a file like tail -F; its read position survives restarts
  --start-at <beginning|end>   where to start in a file with no saved position (default beginning)
  --stdin                      read records from standard input; the agent exits when it ends
                               and everything read was delivered
  --listen <address>           unix:/path/agent.sock or tcp://127.0.0.1:port (loopback only)
Records and delivery:
  --delimiter <lf|tab|nul>     record delimiter for sources and collectors (default lf)
  --timeout <seconds>          connect or write time before moving to the next address (default 10)
  --max-delay <seconds>        maximum transmission delay of a record (default 30)
  --batch-records <n>          send when this many records wait (default 1000)
  --batch-bytes <size>         send when this many bytes wait (default 1M)
  --queue-records <n>          records held in memory, unconfirmed ones included (default 100000)
  --queue-bytes <size>         bytes held in memory (default 64M)
  --when-full <policy>         backpressure (default: sources stop reading, nothing lost) or
                               drop-oldest (the oldest unsent records are dropped and counted)
  --resend-window <seconds>    TCP records stay unconfirmed this long after their write and are
                               sent again if the connection breaks meanwhile (default 5)
TLS (tls:// addresses):
  --ca <file>                  PEM of the CA collector certificates must chain to (the Corvus CA)
  --pfx <file>                 client identity for two-way authentication: a password-protected
                               PKCS#12 file; the password comes from CORVUS_AGENT_PFX_PASSWORD
  --pfx-password-file <file>   or from this file
  --server-name <name>         name the collector certificate must carry (default: address host)
State and status:
  --state-dir <dir>            where file positions are kept (default .corvus/agent)
  --status-interval <seconds>  a JSON status line on stdout this often (default 60, 0: off);
                               SIGUSR1 prints one at any time
  --status-file <file>         also keep the latest status line in this file
  --config, -c <file>          a YAML or JSON file with the same settings (flags override it):
                               collectors, sources ({file, startAt} | {stdin: true} | {listen}),
                               delimiter, timeout, maxTransmissionDelay, resendWindow,
                               batch {records, bytes}, queue {records, bytes, whenFull},
                               tls {ca, pfx, passwordFile, serverName}, stateDir,
                               status {interval, file}; relative paths are relative to the file
  --help, -h

Delivery: over TCP a record leaves the queue once the collector confirmed it (a clean close) or
it was written and the connection stayed healthy for the resend window; an abrupt failure sends
the unconfirmed records again to the next collector (at-least-once, duplicates counted as
"resent"). UDP sends one record per datagram and gives no delivery guarantee.
`

const flags = {
  config: { type: "string", short: "c" },
  collector: { type: "string", multiple: true },
  file: { type: "string", multiple: true },
  "start-at": { type: "string" },
  stdin: { type: "boolean" },
  listen: { type: "string", multiple: true },
  delimiter: { type: "string" },
  timeout: { type: "string" },
  "max-delay": { type: "string" },
  "resend-window": { type: "string" },
  "batch-records": { type: "string" },
  "batch-bytes": { type: "string" },
  "queue-records": { type: "string" },
  "queue-bytes": { type: "string" },
  "when-full": { type: "string" },
  ca: { type: "string" },
  pfx: { type: "string" },
  "pfx-password-file": { type: "string" },
  "server-name": { type: "string" },
  "state-dir": { type: "string" },
  "status-interval": { type: "string" },
  "status-file": { type: "string" },
  help: { type: "boolean", short: "h" }
} as const

type Flags = ReturnType<typeof parseArgs<{ options: typeof flags; strict: true; allowPositionals: false }>>["values"]

const number = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const value = Number(text)
  if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError({ message: `--${name}: "${text}" is not a number` })
  return value
}

const Units: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** A byte size: an integer with an optional k, m or g (binary) suffix. */
const size = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const match = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim())
  if (match === null) throw new UsageError({ message: `--${name}: "${text}" is not a size (e.g. 1048576, 512k, 64M)` })
  return Number(match[1]) * Units[match[2]!.toLowerCase()]!
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

/** Makes the config file's relative paths relative to the file's folder. */
const resolveFilePaths = (document: Record<string, unknown>, base: string): Record<string, unknown> => {
  const path = (value: unknown) => (typeof value === "string" && value !== "" && !isAbsolute(value) ? resolve(base, value) : value)
  const sources = Array.isArray(document.sources)
    ? document.sources.map((source: unknown) => {
        if (!isRecord(source)) return source
        if (typeof source.file === "string") return { ...source, file: path(source.file) }
        if (typeof source.listen === "string" && source.listen.startsWith("unix:")) return { ...source, listen: `unix:${String(path(source.listen.slice(5)))}` }
        return source
      })
    : document.sources
  const tls = isRecord(document.tls) ? { ...document.tls, ca: path(document.tls.ca), pfx: path(document.tls.pfx), passwordFile: path(document.tls.passwordFile) } : document.tls
  const status = isRecord(document.status) ? { ...document.status, file: path(document.status.file) } : document.status
  return { ...document, sources, tls, status, stateDir: path(document.stateDir) }
}

const withoutUndefined = (value: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined))

/** Overlays the flags on the file's document: a flag replaces the file's value, list flags replace the file's list. */
const overlayFlags = (document: Record<string, unknown>, values: Flags, cwd: string): Record<string, unknown> => {
  const path = (value: string | undefined) => (value === undefined ? undefined : resolve(cwd, value))
  const flagSources = [
    ...(values.file ?? []).map((file) => withoutUndefined({ file: path(file), startAt: values["start-at"] })),
    ...(values.stdin === true ? [{ stdin: true }] : []),
    ...(values.listen ?? []).map((listen) => ({ listen: listen.startsWith("unix:") ? `unix:${path(listen.slice(5))}` : listen }))
  ]
  const nested = (key: string, entries: Record<string, unknown>) => {
    const given = withoutUndefined(entries)
    if (Object.keys(given).length === 0) return document[key]
    return { ...(isRecord(document[key]) ? document[key] : {}), ...given }
  }
  return withoutUndefined({
    ...document,
    collectors: values.collector ?? document.collectors,
    sources: flagSources.length > 0 ? flagSources : document.sources,
    delimiter: values.delimiter ?? document.delimiter,
    timeout: number("timeout", values.timeout) ?? document.timeout,
    maxTransmissionDelay: number("max-delay", values["max-delay"]) ?? document.maxTransmissionDelay,
    resendWindow: number("resend-window", values["resend-window"]) ?? document.resendWindow,
    batch: nested("batch", { records: number("batch-records", values["batch-records"]), bytes: size("batch-bytes", values["batch-bytes"]) }),
    queue: nested("queue", {
      records: number("queue-records", values["queue-records"]),
      bytes: size("queue-bytes", values["queue-bytes"]),
      whenFull: values["when-full"]
    }),
    tls: nested("tls", { ca: path(values.ca), pfx: path(values.pfx), passwordFile: path(values["pfx-password-file"]), serverName: values["server-name"] }),
    stateDir: path(values["state-dir"]) ?? document.stateDir,
    status: nested("status", { interval: number("status-interval", values["status-interval"]), file: path(values["status-file"]) })
  })
}

const readConfigFile = (file: string) =>
  Effect.gen(function* () {
    const text = yield* Effect.tryPromise({
      try: () => readFile(file, "utf8"),
      catch: (cause) => new UsageError({ message: `cannot read the config file ${file}: ${(cause as Error).message}` })
    })
    const parsed = yield* Effect.try({
      try: () => (/\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text)) as unknown,
      catch: (cause) => new UsageError({ message: `${file}: ${(cause as Error).message}` })
    })
    if (parsed === null || parsed === undefined) return {}
    if (!isRecord(parsed)) return yield* new UsageError({ message: `${file}: the agent configuration must be a mapping` })
    return resolveFilePaths(parsed, dirname(file))
  })

/** What the command line asks for: the usage text, or a decoded configuration. */
export type AgentRequest = { readonly kind: "help" } | { readonly kind: "run"; readonly config: AgentDocument }

/** Parses the flags and the config file into the agent's configuration. */
export const parseAgentArguments = (args: ReadonlyArray<string>, cwd: string): Effect.Effect<AgentRequest, UsageError> =>
  Effect.gen(function* () {
    const values = yield* Effect.try({
      try: () => parseArgs({ args: [...args], options: flags, strict: true, allowPositionals: false }).values,
      catch: (cause) => new UsageError({ message: (cause as Error).message })
    })
    if (values.help === true) return { kind: "help" } as const
    const fromFile = values.config !== undefined ? yield* readConfigFile(resolve(cwd, values.config)) : {}
    const merged = yield* Effect.try({ try: () => overlayFlags(fromFile, values, cwd), catch: (cause) => cause as UsageError })
    if (merged.collectors === undefined) return yield* new UsageError({ message: "no collector address: give --collector (in failover order) or `collectors` in the config file" })
    if (merged.sources === undefined) return yield* new UsageError({ message: "nothing to read: give --file, --stdin or --listen, or `sources` in the config file" })
    const config = yield* decodeAgentDocument(merged).pipe(
      Effect.mapError((error) => new UsageError({ message: `invalid configuration:\n${ParseResult.TreeFormatter.formatErrorSync(error)}` }))
    )
    return { kind: "run", config } as const
  })

const timestamped = (line: string) => `${new Date().toISOString()} corvus agent: ${line}\n`

/** Runs `corvus agent`; resolves to the process exit status. */
export const main = (args: ReadonlyArray<string>): Effect.Effect<number> =>
  Effect.gen(function* () {
    const request = yield* parseAgentArguments(args, process.cwd())
    if (request.kind === "help") {
      yield* Console.log(agentUsage)
      return 0
    }
    const config = request.config
    const password = yield* PfxPasswordFromEnv.pipe(Effect.mapError((error) => new UsageError({ message: String(error) })))
    const usesStdin = config.sources.some((source) => "stdin" in source)
    yield* Effect.scoped(
      Effect.gen(function* () {
        // The handlers come first: a SIGUSR1 right after the first status line must find one.
        let agent: Agent.RunningAgent | undefined
        const onSignal = () => agent?.reportStatus()
        // A reader that went away (`corvus agent ... | head`) must not stop the agent.
        const onOutputError = () => {}
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            process.on("SIGUSR1", onSignal)
            process.stdout.on("error", onOutputError)
          }),
          () =>
            Effect.sync(() => {
              process.off("SIGUSR1", onSignal)
              process.stdout.off("error", onOutputError)
            })
        )
        const running = yield* Agent.run(config, password, {
          log: (line) => process.stderr.write(timestamped(line)),
          report: (line) => process.stdout.write(`${line}\n`)
        })
        agent = running
        // Files and sockets never end: the agent then runs until SIGINT or SIGTERM.
        yield* Effect.promise(() => running.inputEnded)
        yield* Effect.promise(() => running.drain())
        if (usesStdin) process.stdin.destroy()
      })
    )
    return 0
  }).pipe(
    Effect.catchAll((error) =>
      Console.error(`corvus agent: ${error.message}${error._tag === "UsageError" ? "\n(corvus agent --help lists the options)" : ""}`).pipe(
        Effect.as(error._tag === "AgentSourceError" ? 1 : 2)
      )
    )
  )
