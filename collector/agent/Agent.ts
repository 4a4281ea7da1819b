// The agent (`corvus agent`, SPEC §3): its sources feed one bounded queue, the shipper sends
// batches to the collector addresses in failover order, and a status line reports how it goes.
// Runs for the scope's lifetime; closing the scope stops reading, delivers what is queued (within
// the timeout), closes the link cleanly and saves the file positions.
import { Effect, type Redacted, type Scope } from "effect"
import { rename, writeFile } from "node:fs/promises"
import { MaxRawEventBytes } from "../../model/Collector.ts"
import type { TlsConfigInvalid } from "../tls/TlsConfigInvalid.ts"
import type { AgentConfigInvalid, AgentDocument, SourceSpec } from "./AgentConfig.ts"
import { AgentQueue } from "./AgentQueue.ts"
import { AgentStatus, type AgentStatusSnapshot } from "./AgentStatus.ts"
import { loadTlsSettings } from "./AgentTls.ts"
import { type LinkSettings, openLink } from "./CollectorLink.ts"
import type { RetryDelays } from "./FailoverCursor.ts"
import { Shipper } from "./Shipper.ts"
import { type AgentSource, AgentSourceError, type SourceContext } from "./sources/AgentSource.ts"
import { FileSource } from "./sources/FileSource.ts"
import { SocketSource } from "./sources/SocketSource.ts"
import { StreamSource } from "./sources/StreamSource.ts"

export interface AgentIo {
  /** Human-readable events: connections, failovers, errors (stderr in the CLI). */
  readonly log: (line: string) => void
  /** One-line JSON status reports (stdout in the CLI). */
  readonly report: (line: string) => void
  /** What the stdin source reads. */
  readonly stdin?: NodeJS.ReadableStream
  /** How often a followed file is polled for growth, rotation and truncation. */
  readonly pollMillis?: number
  readonly retryDelays?: RetryDelays
}

export interface RunningAgent {
  readonly status: () => AgentStatusSnapshot
  /** Writes a status line now (and the status file when configured). */
  readonly reportStatus: () => void
  /** Settles when every source has ended: only stdin ends, so never while a file or socket is followed. */
  readonly inputEnded: Promise<void>
  /** Stops reading and resolves once everything read was delivered and the link closed cleanly. */
  readonly drain: () => Promise<void>
  /** The ports of TCP socket sources, in configuration order (a port 0 listener gets one from the OS). */
  readonly listenPorts: ReadonlyArray<number>
}

const startSource = (spec: SourceSpec, config: AgentDocument, queue: AgentQueue, context: SourceContext, io: AgentIo): Promise<AgentSource> => {
  if ("file" in spec)
    return FileSource.start(
      { path: spec.file, startAt: spec.startAt, stateDir: config.stateDir, ...(io.pollMillis !== undefined ? { pollMillis: io.pollMillis } : {}) },
      queue,
      context
    )
  if ("stdin" in spec) return Promise.resolve(new StreamSource("stdin", io.stdin ?? process.stdin, queue, context))
  return SocketSource.listen(spec.listen, queue, context)
}

/** Starts the agent; it runs until the scope closes. */
export const run = (
  config: AgentDocument,
  password: Redacted.Redacted<string> | undefined,
  io: AgentIo
): Effect.Effect<RunningAgent, AgentConfigInvalid | TlsConfigInvalid | AgentSourceError, Scope.Scope> =>
  Effect.gen(function* () {
    const tls = config.collectors.some((address) => address.transport === "tls") ? yield* loadTlsSettings(config.tls, password) : undefined
    const queue = new AgentQueue({
      maxRecords: config.queue.records,
      maxBytes: config.queue.bytes,
      whenFull: config.queue.whenFull,
      batchRecords: config.batch.records,
      batchBytes: config.batch.bytes,
      maxDelayMillis: config.maxTransmissionDelay * 1_000
    })
    const sources: Array<AgentSource> = []
    const status = new AgentStatus(queue, () => sources.map((source) => source.status()), io.log)
    const context: SourceContext = {
      delimiter: config.delimiter.charCodeAt(0),
      maxRecordBytes: MaxRawEventBytes,
      oversize: () => status.oversize++,
      log: io.log
    }

    let statusWrites = Promise.resolve()
    const statusFile = config.status.file
    const reportStatus = () => {
      const line = JSON.stringify(status.snapshot())
      io.report(line)
      if (statusFile !== undefined) {
        const temporary = `${statusFile}.${process.pid}.tmp`
        statusWrites = statusWrites
          .then(() => writeFile(temporary, `${line}\n`))
          .then(() => rename(temporary, statusFile))
          .catch((cause: unknown) => io.log(`cannot write the status file ${statusFile}: ${(cause as Error).message}`))
      }
    }

    // Finalizers run in reverse: the last status line comes after everything else was released.
    yield* Effect.addFinalizer(() => Effect.promise(() => statusWrites))
    yield* Effect.addFinalizer(() => Effect.sync(reportStatus))

    // Sources are acquired first so they are released last: the shipper's release delivers what
    // they read before they save their positions.
    const listenPorts: Array<number> = []
    for (const spec of config.sources) {
      const source = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () => startSource(spec, config, queue, context, io),
          catch: (cause) => new AgentSourceError({ message: (cause as Error).message, cause })
        }),
        (source) => Effect.promise(() => source.stop())
      )
      sources.push(source)
      if (source instanceof SocketSource && source.port !== 0) listenPorts.push(source.port)
    }

    const linkSettings: LinkSettings = { timeoutMillis: config.timeout * 1_000, delimiter: context.delimiter, tls }
    const shipper = new Shipper(queue, status, {
      addresses: config.collectors,
      timeoutMillis: linkSettings.timeoutMillis,
      resendWindowMillis: config.resendWindow * 1_000,
      open: (address) => openLink(address, linkSettings),
      log: io.log,
      ...(io.retryDelays !== undefined ? { retryDelays: io.retryDelays } : {})
    })

    yield* Effect.acquireRelease(
      Effect.sync(() => shipper.start()),
      () =>
        Effect.promise(async () => {
          queue.holdSources()
          await shipper.stop(linkSettings.timeoutMillis)
          if (!queue.isEmpty) io.log(`stopping with ${queue.records} records undelivered (files are read again from their saved position on the next start)`)
        })
    )
    if (config.status.interval > 0) {
      yield* Effect.acquireRelease(
        Effect.sync(() => setInterval(reportStatus, config.status.interval * 1_000)),
        (timer) => Effect.sync(() => clearInterval(timer))
      )
    }
    yield* Effect.sync(reportStatus)

    return {
      status: () => status.snapshot(),
      reportStatus,
      inputEnded: Promise.all(sources.map((source) => source.ended)).then(() => undefined),
      drain: () => {
        queue.holdSources()
        return shipper.stop()
      },
      listenPorts
    }
  })
