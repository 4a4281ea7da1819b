// One node with every role: storage consumers, correlators, the alert service, collectors,
// the REST API, the console and the control plane. The bus and the stores come as layers, so
// the same code runs single-node (embedded) and in the cluster (NATS + Cassandra).
import { Data, Effect, Runtime } from "effect"
import type { FastifyInstance } from "fastify"
import * as Collector from "../collector/Collector.ts"
import { buildApiServer } from "../gateway/ApiServer.ts"
import type { ApiContext } from "../gateway/ApiContext.ts"
import { buildConsoleServer } from "../gateway/ConsoleServer.ts"
import type { TokenRegistry } from "../gateway/TokenRegistry.ts"
import type { CollectorId } from "../model/Ids.ts"
import type { Deployment } from "../model/Deployment.ts"
import { AlertStore } from "../storage/AlertStore.ts"
import { EventStore } from "../storage/EventStore.ts"
import * as AlertService from "./AlertService.ts"
import * as ControlServer from "./control/ControlServer.ts"
import type { NodeMode } from "./control/NodeStatus.ts"
import { unpartitionableReason } from "../actors/Partitioning.ts"
import * as CorrelatorRouter from "./CorrelatorRouter.ts"
import * as PartitionSupervisor from "./PartitionSupervisor.ts"
import { EventBus } from "./EventBus.ts"
import * as RetentionSweeper from "./RetentionSweeper.ts"
import * as StorageWriter from "./StorageWriter.ts"
import { Topics } from "./Topics.ts"

export interface NodeOptions {
  readonly nodeId: string
  readonly mode: NodeMode
  readonly host: string
  /** 0 picks a free port (tests). */
  readonly apiPort: number
  readonly consolePort: number
  readonly controlPort: number
  readonly tokens: TokenRegistry
  readonly version: string
  /** Partitions of each correlator that can be split. */
  readonly partitions: number
  /** Where the installation's CA and the node's certificate live (TLS connectors); created on first use. */
  readonly caDir?: string
}

export interface NodeHandle {
  readonly apiUrl: string
  readonly consoleUrl: string
  readonly controlAddress: string
  readonly collectorPorts: ReadonlyMap<CollectorId, number>
}

/** A role of the node could not start (a port taken, a server refused). */
export class NodeStartError extends Data.TaggedError("NodeStartError")<{ readonly message: string; readonly cause?: unknown }> {}

const listen = (app: FastifyInstance, host: string, port: number, what: string) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        await app.listen({ host, port })
        const address = app.server.address()
        return typeof address === "object" && address !== null ? address.port : port
      },
      catch: (cause) => new NodeStartError({ message: `cannot start the ${what} on ${host}:${port}`, cause })
    }),
    () => Effect.promise(() => app.close())
  )

const urlOf = (host: string, port: number) => `http://${host.includes(":") ? `[${host}]` : host}:${port}`

/** Starts every role of the node for the scope's lifetime. */
export const run = (deployment: Deployment, options: NodeOptions) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    const startedAt = Date.now()
    const startedAtMonotonic = performance.now()

    const storage = yield* StorageWriter.start
    yield* RetentionSweeper.start(deployment.tenants)
    const alerts = yield* AlertService.start
    // Each correlator: a router on every node, and its partitions wherever the leases put them.
    const supervised = deployment.correlators.map((spec) => ({ spec, partitions: unpartitionableReason(spec) === undefined ? options.partitions : 1 }))
    for (const { spec, partitions } of supervised) yield* CorrelatorRouter.start(spec, { partitions, markInterval: "1 second" })
    const supervisor = yield* PartitionSupervisor.start({
      nodeId: options.nodeId,
      address: `${options.host}:${options.controlPort}`,
      correlators: supervised,
      reconcileEvery: "500 millis",
      checkpointEvery: { matches: 10_000, interval: "5 seconds" }
    })

    const collectorPorts = new Map<CollectorId, number>()
    const collectors = yield* Effect.forEach(deployment.collectors, (spec) =>
      Collector.run(spec, (events) => bus.publish(topics.events, events.map((event) => ({ collectorId: spec.id, event }))), options.caDir === undefined ? {} : { tls: { caDir: options.caDir } }).pipe(
        Effect.tap((running) => Effect.sync(() => collectorPorts.set(spec.id, running.port)))
      )
    )

    const runtime = yield* Effect.runtime<AlertStore | EventStore>()
    const context: ApiContext = {
      run: (effect) => Runtime.runPromiseExit(runtime)(effect),
      tokens: options.tokens,
      tenants: deployment.tenants,
      logInternal: (message, cause) => Runtime.runFork(runtime)(Effect.logError(message, cause))
    }
    const apiPort = yield* listen(yield* Effect.promise(() => buildApiServer(context)), options.host, options.apiPort, "API")
    const consolePort = yield* listen(yield* Effect.promise(() => buildConsoleServer(context)), options.host, options.consolePort, "console")

    const control = yield* ControlServer.make({
      host: options.host,
      port: options.controlPort,
      status: {
        nodeInfo: Effect.sync(() => ({
          nodeId: options.nodeId,
          version: options.version,
          roles: ["collector", "store", "correlator", "alerts", "gateway"] as const,
          startTimeMs: startedAt,
          uptimeMs: Math.round(performance.now() - startedAtMonotonic),
          mode: options.mode,
          counters: {
            eventsReceived: collectors.reduce((sum, running) => sum + running.stats.received, 0),
            eventsStored: storage.events.acknowledged,
            correlationEvents: storage.correlations.acknowledged,
            alerts: alerts.stats.acknowledged,
            parseErrors: collectors.reduce((sum, running) => sum + running.stats.parseErrors, 0)
          }
        })),
        partitions: Effect.sync(() =>
          [...supervisor.held.values()].map((held) => ({
            correlatorId: held.correlatorId,
            partition: held.partition,
            ownerNode: options.nodeId,
            streamSequence: held.actor.stats.lastSequence
          }))
        )
      }
    })

    return {
      apiUrl: urlOf(options.host, apiPort),
      consoleUrl: urlOf(options.host, consolePort),
      controlAddress: control.address,
      collectorPorts
    } satisfies NodeHandle
  })
