// The node's gRPC control server (proto corvus.control.v1.Control): a scoped resource that
// answers from a NodeStatus and shuts down gracefully when its scope closes.
import * as grpc from "@grpc/grpc-js";
import { Cause, Data, Duration, Effect, Exit, type Fiber, FiberSet, Option, type Scope } from "effect";
import * as net from "node:net";
import * as Proto from "../../proto/gen/corvus/control/v1/control.ts";
import {
  type ClusterStateError,
  CorrelatorInvalid,
  type CorrelatorNotFound,
  type DeployRefused,
  type GroupNotFound,
  type GroupStateInfo,
  type HealthStatus,
  type NodeInfo,
  type NodeMode,
  type NodeRole,
  type NodeStatus,
  type PartitionInfo,
  type PartitionTable,
  type PartitionTableEntry,
} from "./NodeStatus.ts";
import type { ServiceNotRunHere, ServiceRestartFailed, ServiceRestartSource } from "../ServiceRestarts.ts";

/** A bound, serving control server. */
export interface ControlServer {
  readonly host: string;
  /** The bound port (the one the OS picked when asked for port 0). */
  readonly port: number;
  /** `host:port` as a client dials it (IPv6 hosts bracketed). */
  readonly address: string;
}

/** The server could not start (bad host, port in use, non-loopback host without TLS). */
export class ControlServerError extends Data.TaggedError("ControlServerError")<{
  readonly address: string;
  readonly reason: string;
  readonly cause?: unknown;
}> {
  override get message(): string {
    return `control server on ${this.address}: ${this.reason}`;
  }
}

/** One partition's active lists as the node holding it counts them. */
export interface PartitionActiveLists {
  readonly partition: number;
  readonly epoch: number;
  readonly appliedSequence: number;
  readonly lists: ReadonlyArray<{ readonly name: string; readonly count: number }>;
}

/** A correlator's active lists on one node: the partitions of it that node holds. */
export interface NodeActiveLists {
  readonly nodeId: string;
  readonly partitions: ReadonlyArray<PartitionActiveLists>;
}

/** Which records of one active list to read (GetActiveListRecords). */
export interface ActiveListRecordsQuery {
  readonly correlatorId: string;
  readonly list: string;
  /** A case-insensitive RE2 pattern the key must match; undefined: every key. */
  readonly keyPattern: string | undefined;
  readonly offset: number;
  /** At most this many records per partition (fewer when they would make too large an answer). */
  readonly limit: number;
}

/** One live record of an active list; times are stream time, unix ms. */
export interface ActiveListRecordInfo {
  readonly key: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly createdAt: number;
  /** Undefined for a record that never expires. */
  readonly expiresAt: number | undefined;
}

/** One partition's page of an active list's records, and how many match in all. */
export interface PartitionActiveListRecords {
  readonly partition: number;
  readonly epoch: number;
  readonly appliedSequence: number;
  readonly total: number;
  readonly records: ReadonlyArray<ActiveListRecordInfo>;
}

/** One active list's records on one node: the partitions of the correlator that node holds. */
export interface NodeActiveListRecords {
  readonly nodeId: string;
  readonly partitions: ReadonlyArray<PartitionActiveListRecords>;
}

/** The key pattern of a GetActiveListRecords call does not compile. */
export class ActiveListQueryInvalid extends Data.TaggedError("ActiveListQueryInvalid")<{
  readonly message: string;
}> {}

/** Where GetActiveLists and GetActiveListRecords are answered from (LiveNodeStatus); NOT_FOUND for a correlator the node does not run. */
export interface ActiveListsSource {
  readonly lists: (correlatorId: string) => Effect.Effect<NodeActiveLists, CorrelatorNotFound>;
  readonly records: (query: ActiveListRecordsQuery) => Effect.Effect<NodeActiveListRecords, CorrelatorNotFound | ActiveListQueryInvalid>;
}

export interface Options {
  readonly status: NodeStatus;
  /** Answers GetActiveLists and GetActiveListRecords; without it they are UNIMPLEMENTED. */
  readonly activeLists?: ActiveListsSource;
  /** Answers RestartService; without it the call is UNIMPLEMENTED. */
  readonly restartService?: ServiceRestartSource;
  /** Loopback only until the control plane has TLS. Default 127.0.0.1. */
  readonly host?: string;
  /** 0 lets the OS pick a free port; read it from the result. */
  readonly port: number;
  /** How long in-flight calls may finish before the server is forced down. Default 5 s. */
  readonly shutdownTimeout?: Duration.DurationInput;
}

/** Starts the control server; it stops (gracefully, then by force) when the scope closes. */
export const make = (options: Options): Effect.Effect<ControlServer, ControlServerError, Scope.Scope> =>
  Effect.gen(function* () {
    const host = options.host ?? "127.0.0.1";
    const requested = formatAddress(host, options.port);
    if (!isLoopback(host)) {
      // Insecure credentials on a routable interface would expose the control plane.
      return yield* new ControlServerError({ address: requested, reason: "only loopback hosts until TLS is configured" });
    }
    const shutdownTimeout = options.shutdownTimeout ?? Duration.seconds(5);
    // Handler fibers live in this set, so closing the scope interrupts any still running
    // after the server is down (finalizers run in reverse: server first, then the set).
    const run = yield* FiberSet.makeRuntime<never>();

    const { port } = yield* Effect.acquireRelease(
      Effect.async<{ readonly server: grpc.Server; readonly port: number }, ControlServerError>((resume) => {
        const server = new grpc.Server();
        server.addService(Proto.ControlService, implementation(options.status, run, options.activeLists, options.restartService));
        // grpc-js >= 1.10 starts serving as soon as the bind succeeds.
        server.bindAsync(requested, grpc.ServerCredentials.createInsecure(), (error, port) => {
          if (error !== null) {
            server.forceShutdown();
            resume(Effect.fail(new ControlServerError({ address: requested, reason: "bind failed", cause: error })));
          } else {
            resume(Effect.succeed({ server, port }));
          }
        });
      }),
      ({ server }) => shutdown(server, shutdownTimeout),
    );
    return { host, port, address: formatAddress(host, port) };
  });

// Forks an effect into the server's FiberSet.
type Run = <A, E>(effect: Effect.Effect<A, E>) => Fiber.RuntimeFiber<A, E>;

const implementation = (
  status: NodeStatus,
  run: Run,
  activeLists: ActiveListsSource | undefined,
  restartService: ServiceRestartSource | undefined,
): Proto.ControlServer => ({
  getNodeInfo: (call, callback) => answer(call, callback, "GetNodeInfo", Effect.map(status.nodeInfo, toProtoNodeInfo), run),
  listPartitions: (call, callback) =>
    answer(
      call,
      callback,
      "ListPartitions",
      Effect.map(status.partitions, (partitions) => toProtoPartitions(partitions, call.request.correlatorId)),
      run,
    ),
  getHealth: (call, callback) =>
    answer(call, callback, "GetHealth", Effect.map(status.health, (health) => ({ status: healthToProto[health.status], detail: health.detail })), run),
  getPartitionTable: (call, callback) =>
    answer(
      call,
      callback,
      "GetPartitionTable",
      Effect.map(status.partitionTable(call.request.correlatorId === "" ? undefined : call.request.correlatorId), toProtoPartitionTable),
      run,
    ),
  drain: (call, callback) => answer(call, callback, "Drain", status.drain, run),
  getGroupState: (call, callback) =>
    answer(call, callback, "GetGroupState", Effect.map(status.groupState({ ...call.request }), toProtoGroupState), run),
  deployCorrelator: (call, callback) =>
    answer(
      call,
      callback,
      "DeployCorrelator",
      Effect.suspend(() => {
        const format = call.request.format === "" ? "json" : call.request.format;
        if (format !== "json" && format !== "yaml") {
          return Effect.fail(new CorrelatorInvalid({ message: `format must be "json" or "yaml", not ${JSON.stringify(format).slice(0, 40)}` }));
        }
        return status.deployCorrelator({ document: call.request.document, format, validateOnly: call.request.validateOnly });
      }),
      run,
    ),
  reloadCorrelator: (call, callback) =>
    answer(
      call,
      callback,
      "ReloadCorrelator",
      Effect.map(status.reloadCorrelator(call.request.correlatorId), (result) => ({ revision: result.revision, created: result.created })),
      run,
    ),
  getActiveLists: (call, callback) => {
    if (activeLists === undefined) return callback({ code: grpc.status.UNIMPLEMENTED, details: "this node does not report active lists" }, null);
    answer(call, callback, "GetActiveLists", Effect.map(activeLists.lists(call.request.correlatorId), toProtoActiveLists), run);
  },
  getActiveListRecords: (call, callback) => {
    if (activeLists === undefined) return callback({ code: grpc.status.UNIMPLEMENTED, details: "this node does not report active lists" }, null);
    const request = call.request;
    const query: ActiveListRecordsQuery = {
      correlatorId: request.correlatorId,
      list: request.list,
      keyPattern: request.keyPattern === "" ? undefined : request.keyPattern,
      offset: request.offset,
      limit: request.limit === 0 ? DefaultRecordsLimit : Math.min(request.limit, MaxRecordsLimit),
    };
    answer(call, callback, "GetActiveListRecords", Effect.map(activeLists.records(query), toProtoActiveListRecords), run);
  },
  restartService: (call, callback) => {
    if (restartService === undefined) return callback({ code: grpc.status.UNIMPLEMENTED, details: "this node does not restart services" }, null);
    const request = call.request;
    answer(call, callback, "RestartService", restartService({ serviceId: request.serviceId, tenantId: request.tenantId, requestedBy: request.requestedBy }), run);
  },
});

// The proto promises partitions sorted by partition number.
const toProtoActiveLists = (answer: NodeActiveLists): Proto.GetActiveListsResponse => ({
  nodeId: answer.nodeId,
  partitions: [...answer.partitions]
    .sort((a, b) => a.partition - b.partition)
    .map((partition) => ({ ...partition, lists: partition.lists.map((list) => ({ ...list })) })),
});

const DefaultRecordsLimit = 1_000;
const MaxRecordsLimit = 10_000;

const toProtoActiveListRecords = (answer: NodeActiveListRecords): Proto.GetActiveListRecordsResponse => ({
  nodeId: answer.nodeId,
  partitions: [...answer.partitions]
    .sort((a, b) => a.partition - b.partition)
    .map((partition) => ({
      partition: partition.partition,
      epoch: partition.epoch,
      appliedSequence: partition.appliedSequence,
      total: partition.total,
      records: partition.records.map((record) => ({
        key: record.key,
        fields: Object.entries(record.fields).map(([name, value]) => ({ name, value })),
        createdAtMs: record.createdAt,
        expires: record.expiresAt !== undefined,
        expiresAtMs: record.expiresAt ?? 0,
      })),
    })),
});

/** What a NodeStatus may fail with: domain outcomes a client is told, or unreadable cluster state. */
type StatusFailure = CorrelatorNotFound | GroupNotFound | CorrelatorInvalid | DeployRefused | ClusterStateError | ActiveListQueryInvalid | ServiceNotRunHere | ServiceRestartFailed;

// Domain outcomes carry only what the client asked about; an infrastructure failure is named
// but its cause (a driver message, an address) stays in the node's log.
const toServiceError = (failure: StatusFailure): Partial<grpc.StatusObject> => {
  switch (failure._tag) {
    case "CorrelatorNotFound":
    case "GroupNotFound":
    case "ServiceNotRunHere":
      return { code: grpc.status.NOT_FOUND, details: failure.message };
    case "CorrelatorInvalid":
    case "ActiveListQueryInvalid":
      return { code: grpc.status.INVALID_ARGUMENT, details: failure.message };
    case "DeployRefused":
      return { code: grpc.status.FAILED_PRECONDITION, details: failure.message };
    case "ServiceRestartFailed":
      return { code: grpc.status.ABORTED, details: failure.message };
    case "ClusterStateError":
      return { code: grpc.status.UNAVAILABLE, details: "cluster state (membership, leases, correlator registry) unavailable; retry later" };
  }
};

// Runs one unary call's effect, cancels it when the client goes away, and turns a defect into
// INTERNAL without its message: a client never sees a stack or an internal error text.
const answer = <Req, Res>(
  call: grpc.ServerUnaryCall<Req, Res>,
  callback: grpc.sendUnaryData<Res>,
  method: string,
  effect: Effect.Effect<Res, StatusFailure>,
  run: Run,
): void => {
  const fiber = run(
    Effect.exit(effect).pipe(
      Effect.flatMap((exit) => {
        if (Exit.isSuccess(exit)) return Effect.sync(() => callback(null, exit.value));
        const failure = Cause.failureOption(exit.cause);
        if (Option.isSome(failure)) {
          const error = toServiceError(failure.value);
          const logged = failure.value._tag === "ClusterStateError" || failure.value._tag === "ServiceRestartFailed" ? Effect.logWarning(`control ${method} failed`, exit.cause) : Effect.void;
          return logged.pipe(Effect.andThen(Effect.sync(() => callback(error, null))));
        }
        return Effect.logError(`control ${method} failed`, exit.cause).pipe(
          Effect.andThen(Effect.sync(() => callback({ code: grpc.status.INTERNAL, details: "internal error" }, null))),
        );
      }),
    ),
  );
  call.on("cancelled", () => {
    fiber.unsafeInterruptAsFork(fiber.id());
  });
};

// tryShutdown waits for in-flight calls; a call that hangs must not hold the node's exit.
const shutdown = (server: grpc.Server, timeout: Duration.DurationInput): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    server.tryShutdown(() => resume(Effect.void));
  }).pipe(
    Effect.timeoutOption(timeout),
    Effect.flatMap((done) => (Option.isNone(done) ? Effect.sync(() => server.forceShutdown()) : Effect.void)),
  );

const modeToProto: Record<NodeMode, Proto.NodeMode> = {
  embedded: Proto.NodeMode.NODE_MODE_EMBEDDED,
  cluster: Proto.NodeMode.NODE_MODE_CLUSTER,
};

const roleToProto: Record<NodeRole, Proto.NodeRole> = {
  collector: Proto.NodeRole.NODE_ROLE_COLLECTOR,
  store: Proto.NodeRole.NODE_ROLE_STORE,
  router: Proto.NodeRole.NODE_ROLE_ROUTER,
  correlator: Proto.NodeRole.NODE_ROLE_CORRELATOR,
  alerts: Proto.NodeRole.NODE_ROLE_ALERTS,
  gateway: Proto.NodeRole.NODE_ROLE_GATEWAY,
};

const healthToProto: Record<HealthStatus, Proto.HealthStatus> = {
  serving: Proto.HealthStatus.HEALTH_STATUS_SERVING,
  draining: Proto.HealthStatus.HEALTH_STATUS_DRAINING,
  "not-serving": Proto.HealthStatus.HEALTH_STATUS_NOT_SERVING,
};

const toProtoNodeInfo = (info: NodeInfo): Proto.NodeInfo => ({
  nodeId: info.nodeId,
  version: info.version,
  roles: info.roles.map((role) => roleToProto[role]),
  startTimeMs: info.startTimeMs,
  uptimeMs: info.uptimeMs,
  mode: modeToProto[info.mode],
  counters: { ...info.counters },
  rates: info.rates === undefined ? undefined : { ...info.rates },
});

const byCorrelatorAndPartition = (
  a: { readonly correlatorId: string; readonly partition: number },
  b: { readonly correlatorId: string; readonly partition: number },
): number => (a.correlatorId === b.correlatorId ? a.partition - b.partition : a.correlatorId < b.correlatorId ? -1 : 1);

// The proto promises partitions sorted by correlator, then partition number.
const toProtoPartitions = (partitions: ReadonlyArray<PartitionInfo>, correlatorId: string): Proto.ListPartitionsResponse => ({
  partitions: partitions
    .filter((partition) => correlatorId === "" || partition.correlatorId === correlatorId)
    .map((partition) => ({ ...partition }))
    .sort(byCorrelatorAndPartition),
});

// The proto promises members by node id and partitions by correlator, then partition; an unowned
// partition has an empty owner and epoch 0, a partition run elsewhere no progress.
const toProtoPartitionTable = (table: PartitionTable): Proto.PartitionTable => ({
  nodeId: table.nodeId,
  members: [...table.members]
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0))
    .map((member) => ({ ...member })),
  partitions: [...table.partitions].sort(byCorrelatorAndPartition).map(toProtoEntry),
  routers: [...table.routers].sort(byCorrelatorAndPartition).map(toProtoEntry),
});

const toProtoEntry = (entry: PartitionTableEntry): Proto.PartitionTableEntry => ({
  correlatorId: entry.correlatorId,
  partition: entry.partition,
  ownerNode: entry.owner?.nodeId ?? "",
  epoch: entry.owner?.epoch ?? 0,
  progress:
    entry.progress === undefined
      ? undefined
      : {
          epoch: entry.progress.epoch,
          appliedSequence: entry.progress.appliedSequence,
          checkpointSequence: entry.progress.checkpointSequence,
          hasLag: entry.progress.lag !== undefined,
          lag: entry.progress.lag ?? 0,
        },
});

const toProtoGroupState = (state: GroupStateInfo): Proto.GroupState => ({
  correlatorId: state.correlatorId,
  partition: state.partition,
  ruleId: state.ruleId,
  groupKey: state.groupKey,
  epoch: state.epoch,
  appliedSequence: state.appliedSequence,
  windowStartMs: state.windowStartMs,
  windowEndMs: state.windowEndMs,
  eventCount: state.eventCount,
  firstEventMs: state.firstEventMs ?? 0,
  lastEventMs: state.lastEventMs ?? 0,
  fired: state.fired,
  selectors: state.selectors.map((selector, index) => ({
    selector: index,
    name: selector.name ?? "",
    count: selector.count,
    threshold: selector.threshold,
    recovery: selector.recovery,
  })),
});

const isLoopback = (host: string): boolean => {
  if (host === "localhost") return true;
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  switch (net.isIP(bare)) {
    case 4:
      return bare.startsWith("127.");
    case 6:
      return bare === "::1";
    default:
      return false;
  }
};

const formatAddress = (host: string, port: number): string =>
  net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
