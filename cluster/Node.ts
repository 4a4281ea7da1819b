// One node with every role: storage consumers, correlators, the alert service, collectors,
// the REST API, the console and the control plane. The bus and the stores come as layers, so
// the same code runs single-node (embedded) and in the cluster (NATS + Cassandra).
import { Data, type Duration, Effect, Runtime } from "effect"
import type { FastifyInstance } from "fastify"
import * as Collector from "../collector/Collector.ts"
import * as InstallationCa from "../collector/tls/InstallationCa.ts"
import { buildApiServer } from "../gateway/ApiServer.ts"
import type { ApiContext } from "../gateway/ApiContext.ts"
import { buildConsoleServer } from "../gateway/ConsoleServer.ts"
import type { GatewayStores } from "../gateway/ApiContext.ts"
import { provisionAdmin } from "../gateway/UserProvisioning.ts"
import type { CollectorId } from "../model/Ids.ts"
import type { CollectorSpec } from "../model/Collector.ts"
import type { Deployment } from "../model/Deployment.ts"
import type { AlertStore } from "../storage/AlertStore.ts"
import type { IncidentStore } from "../storage/IncidentStore.ts"
import * as ActiveListBridge from "./ActiveListBridge.ts"
import * as CorrelatorControlBridge from "./CorrelatorControlBridge.ts"
import * as AlertService from "./AlertService.ts"
import { MainTenantId } from "../model/Tenant.ts"
import { auditServices } from "./ServiceAudit.ts"
import * as ServiceHealth from "./ServiceHealth.ts"
import * as ServicePairing from "./ServicePairing.ts"
import * as ServiceRestarterBridge from "./ServiceRestarterBridge.ts"
import * as ServiceRestarts from "./ServiceRestarts.ts"
import { ServiceId } from "../model/Service.ts"
import { Membership } from "./ownership/Membership.ts"
import { CorrelatorId } from "../model/Ids.ts"
import * as ClusterView from "./control/ClusterView.ts"
import * as ControlServer from "./control/ControlServer.ts"
import * as LiveNodeStatus from "./control/LiveNodeStatus.ts"
import type { NodeMode } from "./control/NodeStatus.ts"
import { unpartitionableReason } from "../actors/Partitioning.ts"
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
  /** The general administrator's API token (user `admin`, created or updated at start). */
  readonly adminToken: string
  /** The admin's sign-in password, set on every start (CORVUS_ADMIN_PASSWORD). */
  readonly adminPassword?: string
  /** The admin's sign-in password when this start creates the admin (a fresh installation). */
  readonly adminInitialPassword?: string
  /** The admin token was generated for this start: it replaces the one this node generated before. */
  readonly adminTokenGenerated?: boolean
  readonly version: string
  /** Partitions of each correlator that can be split. */
  readonly partitions: number
  /**
   * The roles this node runs besides correlation (routers, partitions and the alert service run
   * on every node, so ownership never targets a node that would not take it); all when absent.
   */
  readonly edgeRoles?: ReadonlyArray<EdgeRole>
  /** Where the installation's CA and the node's certificate live (TLS connectors, HTTPS); created on first use. */
  readonly caDir?: string
  /** Days an open incident takes new alerts sharing an asset or account after its last update (7 when absent). */
  readonly autoLinkWindowDays?: number
  /** Serve the API and the console over HTTPS with the node's certificate from the installation's CA (needs `caDir`); plain HTTP when absent or false. */
  readonly https?: boolean
  /** The file `deployment` came from, read again by ReloadCorrelator; none for the built-in demo. */
  readonly deploymentFile?: string | undefined
  /** How often the node judges its services' health and writes a changed status (10 s when absent). */
  readonly serviceHealthEvery?: Duration.DurationInput
}

export interface NodeHandle {
  /** Absent when the node runs no gateway. */
  readonly apiUrl: string | undefined
  readonly consoleUrl: string | undefined
  readonly controlAddress: string
  readonly collectorPorts: ReadonlyMap<CollectorId, number>
  /** Whether this start created the admin user (a fresh installation). */
  readonly adminCreated: boolean
}

/** A role a node may leave out: intake, storage, or the API and console. */
export type EdgeRole = "collector" | "store" | "gateway"
export const EdgeRoles: ReadonlyArray<EdgeRole> = ["collector", "store", "gateway"]

/** The lease name of the cluster's one alert service. */
const AlertServiceLease = CorrelatorId.make("alert-service")

const StorageName = "event storage writer"

/** The collector's spec listening on `port` (a NATS connector listens on none). */
const onPort = (spec: CollectorSpec, port: number): CollectorSpec => (spec.connector.kind === "nats" ? spec : { ...spec, connector: { ...spec.connector, port } })

type CollectorRun = Effect.Effect.Success<ReturnType<typeof Collector.run>>
type StorageRun = Effect.Effect.Success<typeof StorageWriter.start>

/** A collector's health counters over all its runs: problems are bad, oversize or dropped records and connection errors. */
const collectorSample = (slot: ServiceRestarts.Restartable<CollectorRun>): ServiceHealth.HealthSample => {
  let problems = 0
  let backlog = 0
  let progress = 0
  for (const { stats } of slot.instances()) {
    problems += stats.parseErrors + stats.oversize + stats.connectionErrors + stats.dropped
    // Every record received either failed to parse or was buffered until published.
    backlog += stats.received - stats.parseErrors - stats.published
    progress += stats.published
  }
  return { down: slot.down(), failures: 0, problems, backlog, progress }
}

/** The storage writer's: a write that cannot succeed is a failure, a retried one a problem. */
const storageSample = (slot: ServiceRestarts.Restartable<StorageRun>): ServiceHealth.HealthSample => {
  let failures = 0
  let problems = 0
  let progress = 0
  for (const run of slot.instances()) {
    failures += run.writes.permanentFailures
    problems += run.writes.transientFailures
    progress += run.events.acknowledged + run.correlations.acknowledged
  }
  return { down: slot.down(), failures, problems, backlog: 0, progress }
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

const urlOf = (scheme: "http" | "https", host: string, port: number) => `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`

/** The node's certificate from the installation's CA (both created at first use), for HTTPS on `host`. */
const serverIdentity = (caDir: string | undefined, host: string) =>
  Effect.try({
    try: () => {
      if (caDir === undefined) throw new Error("HTTPS needs the installation's CA directory (caDir)")
      const altNames = [...new Set(["127.0.0.1", "::1", "localhost", ...(host === "0.0.0.0" || host === "::" ? [] : [host])])]
      return InstallationCa.nodeIdentity(caDir, { altNames })
    },
    catch: (cause) => new NodeStartError({ message: "cannot load or create the node's HTTPS certificate", cause })
  })

/** Starts every role of the node for the scope's lifetime. */
export const run = (deployment: Deployment, options: NodeOptions) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const topics = yield* Topics
    // Each correlator's partitions and its one router run wherever the leases put them.
    const supervised = deployment.correlators.map((spec) => ({ spec, partitions: unpartitionableReason(spec) === undefined ? options.partitions : 1 }))
    // The control plane starts first and stops last: the supervisor joins the membership with
    // the port it really bound (port 0 in tests), and a stopping node still answers.
    const edgeRoles = new Set(options.edgeRoles ?? EdgeRoles)
    const live = yield* LiveNodeStatus.make({
      nodeId: options.nodeId,
      version: options.version,
      mode: options.mode,
      roles: [...(["collector", "store"] as const).filter((role) => edgeRoles.has(role)), "correlator", "alerts", ...(edgeRoles.has("gateway") ? (["gateway"] as const) : [])],
      correlators: supervised,
      deploymentFile: options.deploymentFile
    })
    // Restarts are answered once the services exist; before that, none runs here.
    let restartSource: ServiceRestarts.ServiceRestartSource | undefined
    const control = yield* ControlServer.make({
      host: options.host,
      port: options.controlPort,
      status: live.status,
      activeLists: live.activeLists,
      restartService: (request) => (restartSource === undefined ? Effect.fail(new ServiceRestarts.ServiceNotRunHere({ serviceId: request.serviceId })) : restartSource(request))
    })

    const storageId = ServicePairing.storageServiceId(options.nodeId)
    // The storage writer and each collector run in a scope of their own, so a restart can close and reopen them.
    const storage = edgeRoles.has("store") ? yield* ServiceRestarts.restartable(storageId, () => StorageWriter.start) : undefined
    if (edgeRoles.has("store")) yield* RetentionSweeper.start(deployment.tenants)
    // The alert service runs on one node at a time (leased like a partition): two nodes extending
    // the same alert would overwrite each other's additions.
    const alertContext = yield* Effect.context<AlertStore | IncidentStore | EventBus | Topics>()
    let alerts: Effect.Effect.Success<ReturnType<typeof AlertService.start>> | undefined
    const supervisor = yield* PartitionSupervisor.start({
      nodeId: options.nodeId,
      address: control.address,
      correlators: supervised,
      reconcileEvery: "500 millis",
      checkpointEvery: { matches: 10_000, interval: "5 seconds" },
      markInterval: "1 second",
      singletons: [
        {
          name: AlertServiceLease,
          start: AlertService.start(options.autoLinkWindowDays !== undefined ? { autoLinkWindowDays: options.autoLinkWindowDays } : {}).pipe(
            Effect.tap((running) => Effect.sync(() => (alerts = running))),
            Effect.provide(alertContext)
          )
        }
      ]
    })

    const collectorPorts = new Map<CollectorId, number>()
    const collectorSpecs = edgeRoles.has("collector") ? deployment.collectors : []
    const collectors = yield* Effect.forEach(collectorSpecs, (spec) =>
      ServiceRestarts.restartable(spec.id, (previous: { readonly port: number } | undefined) =>
        // A restart reopens the port the collector had bound (port 0 in a deployment picks one once).
        Collector.run(previous === undefined ? spec : onPort(spec, previous.port), (events) => bus.publish(topics.events, events.map((event) => ({ collectorId: spec.id, event }))), options.caDir === undefined ? {} : { tls: { caDir: options.caDir } }).pipe(
          Effect.tap((running) => Effect.sync(() => collectorPorts.set(spec.id, running.port)))
        )
      )
    )

    const admin = edgeRoles.has("gateway")
      ? yield* provisionAdmin(options.adminToken, {
          ...(options.adminPassword !== undefined ? { password: options.adminPassword } : {}),
          ...(options.adminInitialPassword !== undefined ? { initialPassword: options.adminInitialPassword } : {}),
          ...(options.adminTokenGenerated === true ? { generatedBy: options.nodeId } : {})
        })
      : { created: false }
    const runtime = yield* Effect.runtime<GatewayStores>()
    const context: ApiContext = {
      run: (effect) => Runtime.runPromiseExit(runtime)(effect),
      tenants: deployment.tenants,
      logInternal: (message, cause) => Runtime.runFork(runtime)(Effect.logError(message, cause)),
      // Through the node's own control plane, as any other client of it.
      cluster: ClusterView.overview(control.address),
      activeListImporter: yield* ActiveListBridge.make({ correlators: supervised, controlAddress: control.address }),
      serviceRestarter: yield* ServiceRestarterBridge.make(),
      correlatorControl: yield* CorrelatorControlBridge.make({ correlators: supervised, controlAddress: control.address })
    }
    const identity = options.https === true ? yield* serverIdentity(options.caDir, options.host) : undefined
    const apiPort = edgeRoles.has("gateway") ? yield* listen(yield* Effect.promise(() => buildApiServer(context, identity)), options.host, options.apiPort, "API") : undefined
    const consolePort = edgeRoles.has("gateway") ? yield* listen(yield* Effect.promise(() => buildConsoleServer(context, identity)), options.host, options.consolePort, "console") : undefined
    const scheme = identity === undefined ? "http" : "https"

    yield* auditServices(
      "service started",
      [
        ...(edgeRoles.has("collector") ? deployment.collectors.map((spec) => ({ id: spec.id, kind: "collector" as const, tenantId: spec.tenantId, name: spec.name })) : []),
        ...(edgeRoles.has("store") ? [{ id: storageId, kind: "storage" as const, tenantId: MainTenantId, name: StorageName }] : []),
        ...(edgeRoles.has("gateway") ? [{ id: `gateway@${options.nodeId}`, kind: "gateway" as const, tenantId: MainTenantId, name: "REST API and console" }] : [])
      ],
      options.nodeId
    )

    // Pairing (SPEC §7): the deployment's services take their records in the service store, the
    // health watch writes their status from now on, and RestartService reaches them.
    const collectorServices = collectorSpecs.map((spec, index) => ({
      service: { id: ServiceId.make(spec.id), tenantId: spec.tenantId, kind: "collector" as const, name: spec.name },
      slot: collectors[index]!
    }))
    const correlatorServices = deployment.correlators.map((spec) => ({ id: ServiceId.make(spec.id), tenantId: spec.tenantId, kind: "correlator" as const, name: spec.name }))
    const storageService = storage === undefined ? undefined : { id: storageId, tenantId: MainTenantId, kind: "storage" as const, name: StorageName }
    yield* ServicePairing.pairAll([...collectorServices.map(({ service }) => service), ...correlatorServices, ...(storageService === undefined ? [] : [storageService])], options.nodeId)
    const membership = yield* Membership
    yield* ServiceHealth.watch({
      node: options.nodeId,
      every: options.serviceHealthEvery ?? "10 seconds",
      services: [
        ...collectorServices.map(({ service, slot }) => ({ service, sample: () => collectorSample(slot) })),
        ...correlatorServices.map((service) => ({ service, sample: () => ServiceHealth.idleSample })),
        ...(storage === undefined || storageService === undefined ? [] : [{ service: storageService, sample: () => storageSample(storage) }])
      ],
      // A node-specific storage writer runs nowhere else; a collector or correlator may run on any other live member.
      runElsewhere: (service) =>
        service.kind === "storage"
          ? Effect.succeed(false)
          : membership.members.pipe(
              Effect.map((members) => members.some((member) => member.nodeId !== options.nodeId)),
              Effect.orElseSucceed(() => false)
            )
    })
    // A correlator's restart reloads its rules from the deployment file (the registry's revision, which every node runs, otherwise).
    const reloadRules = (correlatorId: string) =>
      options.deploymentFile === undefined
        ? Effect.void
        : live.status.reloadCorrelator(correlatorId).pipe(
            Effect.asVoid,
            Effect.mapError((error) => new ServiceRestarts.ServiceRestartFailed({ serviceId: correlatorId, reason: error.message, cause: error }))
          )
    restartSource = yield* ServiceRestarts.restarts(options.nodeId, [
      ...collectorServices.map(({ service, slot }) => ({ service, restart: slot.restart })),
      ...correlatorServices.map((service) => ({ service, restart: reloadRules(service.id) })),
      ...(storage === undefined || storageService === undefined ? [] : [{ service: storageService, restart: storage.restart }])
    ])

    const collectorRuns = () => collectors.flatMap((slot) => slot.instances())
    const storageRuns = () => storage?.instances() ?? []
    yield* live.started({
      supervisor,
      // Summed over every run of each service, so a restart never makes a counter go back.
      counters: () => ({
        eventsReceived: collectorRuns().reduce((sum, running) => sum + running.stats.received, 0),
        eventsStored: storageRuns().reduce((sum, running) => sum + running.events.acknowledged, 0),
        correlationEvents: storageRuns().reduce((sum, running) => sum + running.correlations.acknowledged, 0),
        alerts: alerts?.stats.acknowledged ?? 0,
        parseErrors: collectorRuns().reduce((sum, running) => sum + running.stats.parseErrors, 0)
      })
    })
    // Added last, so it runs first when the scope closes: the node says it is stopping while
    // it hands its partitions over, not that it serves.
    yield* Effect.addFinalizer(() => live.stopping)

    return {
      apiUrl: apiPort === undefined ? undefined : urlOf(scheme, options.host, apiPort),
      consoleUrl: consolePort === undefined ? undefined : urlOf(scheme, options.host, consolePort),
      controlAddress: control.address,
      collectorPorts,
      adminCreated: admin.created
    } satisfies NodeHandle
  })
