// A typed client for one node's control server (proto corvus.control.v1.Control): every call
// is an Effect with a deadline, answers are decoded into NodeStatus types at this edge.
import * as grpc from "@grpc/grpc-js";
import { Data, Duration, Effect, type Scope } from "effect";
import * as Proto from "../../proto/gen/corvus/control/v1/control.ts";
import type {
  CorrelatorDocument,
  DeployResult,
  DrainResult,
  GroupQuery,
  GroupStateInfo,
  HealthStatus,
  NodeHealth,
  NodeInfo,
  NodeMode,
  NodeRole,
  PartitionInfo,
  PartitionTable,
  PartitionTableEntry,
} from "./NodeStatus.ts";
import type { ActiveListRecordsQuery, NodeActiveListRecords, NodeActiveLists } from "./ControlServer.ts";
import type { RestartServiceRequest } from "../ServiceRestarts.ts";

/** A connection to one node's control plane. */
export interface ControlClient {
  readonly address: string;
  /** What the node says about itself. */
  readonly getNodeInfo: () => Effect.Effect<NodeInfo, ControlError>;
  /** The partitions the node holds, sorted; only `correlatorId`'s when given. */
  readonly listPartitions: (correlatorId?: string) => Effect.Effect<ReadonlyArray<PartitionInfo>, ControlError>;
  /** Whether the node serves, drains or is starting or stopping. */
  readonly getHealth: () => Effect.Effect<NodeHealth, ControlError>;
  /** Every partition of one correlator (default: of every correlator) as the node sees the cluster; NOT_FOUND for an unknown correlator. */
  readonly getPartitionTable: (correlatorId?: string) => Effect.Effect<PartitionTable, ControlError>;
  /** Makes the node hand over every partition and take no more; completes when it holds none. */
  readonly drain: () => Effect.Effect<DrainResult, ControlError>;
  /** One live group's state on the node that holds its partition; NOT_FOUND otherwise (the message says why). */
  readonly getGroupState: (query: GroupQuery) => Effect.Effect<GroupStateInfo, ControlError>;
  /** Stores a new revision of a correlator's rules (with `validateOnly`, only checks it); INVALID_ARGUMENT, NOT_FOUND or FAILED_PRECONDITION say why not. */
  readonly deployCorrelator: (document: CorrelatorDocument) => Effect.Effect<DeployResult, ControlError>;
  /** Deploys a correlator as the node's deployment file has it now. */
  readonly reloadCorrelator: (correlatorId: string) => Effect.Effect<DeployResult, ControlError>;
  /** A correlator's active lists with record counts in the partitions the node holds; NOT_FOUND for a correlator it does not run. */
  readonly getActiveLists: (correlatorId: string) => Effect.Effect<NodeActiveLists, ControlError>;
  /** A page of one active list's records (key order) in the partitions the node holds; `limit` 0 is the server's default. */
  readonly getActiveListRecords: (query: ActiveListRecordsQuery) => Effect.Effect<NodeActiveListRecords, ControlError>;
  /**
   * Restarts a service the node runs and answers once it runs again (and its restart is audited);
   * NOT_FOUND when the node does not run it, ABORTED when it did not start again. Default deadline
   * 60 s: a collector flushes what it accepted before it reopens.
   */
  readonly restartService: (request: RestartServiceRequest, deadline?: Duration.DurationInput) => Effect.Effect<{ readonly nodeId: string; readonly kind: string }, ControlError>;
}

/**
 * A control call failed: unreachable node, deadline exceeded, server error, or an answer this
 * client cannot read. `code` is the gRPC status when the failure came from gRPC.
 */
export class ControlError extends Data.TaggedError("ControlError")<{
  readonly address: string;
  readonly method: string;
  readonly code: grpc.status | undefined;
  readonly cause: unknown;
}> {
  /** The node did not answer at all (nothing listens there, or not in time): retrying elsewhere may help. */
  get unreachable(): boolean {
    return this.code === grpc.status.UNAVAILABLE || this.code === grpc.status.DEADLINE_EXCEEDED;
  }

  /** What went wrong in one line: the server's status details, or the cause's message. */
  get detail(): string {
    const details = (this.cause as Partial<grpc.ServiceError> | undefined)?.details;
    if (typeof details === "string" && details !== "") {
      // grpc-js wraps a failed connection as "No connection established. Last error: Error:
      // <socket error>. Resolution note: ..."; the socket error is what an operator acts on.
      const socketError = /Last error: (?:Error: )?(.+?)\.?(?: Resolution note:.*)?$/.exec(details)?.[1];
      return socketError ?? details;
    }
    return this.cause instanceof Error ? this.cause.message : String(this.cause);
  }

  override get message(): string {
    const code = this.code === undefined ? "" : ` (${grpc.status[this.code]})`;
    return `control ${this.method} on ${this.address} failed${code}: ${this.detail}`;
  }
}

export interface Options {
  /** Per-call deadline. Default 5 s. */
  readonly deadline?: Duration.DurationInput;
  /** Deadline of Drain, which checkpoints and hands over every partition first. Default 2 min. */
  readonly drainDeadline?: Duration.DurationInput;
}

/** Opens a channel to `address` (`host:port`); it is closed when the scope closes. */
export const make = (address: string, options: Options = {}): Effect.Effect<ControlClient, never, Scope.Scope> =>
  Effect.gen(function* () {
    const deadlineMs = Duration.toMillis(options.deadline ?? Duration.seconds(5));
    const drainDeadlineMs = Duration.toMillis(options.drainDeadline ?? Duration.minutes(2));
    // Insecure like the server until the control plane has TLS; the server binds loopback only.
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => new Proto.ControlClient(address, grpc.credentials.createInsecure())),
      (client) => Effect.sync(() => client.close()),
    );

    const unary = <Req, Res>(
      method: string,
      invoke: (
        request: Req,
        metadata: grpc.Metadata,
        callOptions: Partial<grpc.CallOptions>,
        callback: (error: grpc.ServiceError | null, response: Res) => void,
      ) => grpc.ClientUnaryCall,
      request: Req,
      callDeadlineMs: number = deadlineMs,
    ): Effect.Effect<Res, ControlError> =>
      Effect.async<Res, ControlError>((resume) => {
        // grpc-js measures deadlines against the wall clock, so this is Date.now(), not
        // Effect's Clock (under a TestClock every call would already be expired).
        const call = invoke.call(client, request, new grpc.Metadata(), { deadline: Date.now() + callDeadlineMs }, (error, response) => {
          resume(
            error === null
              ? Effect.succeed(response)
              : Effect.fail(new ControlError({ address, method, code: error.code, cause: error })),
          );
        });
        // Interrupting the effect cancels the RPC instead of leaving it to the deadline.
        return Effect.sync(() => call.cancel());
      });

    const decode = <A>(method: string, thunk: () => A): Effect.Effect<A, ControlError> =>
      Effect.try({
        try: thunk,
        catch: (cause) => new ControlError({ address, method, code: undefined, cause }),
      });

    return {
      address,
      getNodeInfo: () =>
        unary<Proto.GetNodeInfoRequest, Proto.NodeInfo>("GetNodeInfo", client.getNodeInfo, {}).pipe(
          Effect.flatMap((info) => decode("GetNodeInfo", () => fromProtoNodeInfo(info))),
        ),
      listPartitions: (correlatorId = "") =>
        unary<Proto.ListPartitionsRequest, Proto.ListPartitionsResponse>("ListPartitions", client.listPartitions, {
          correlatorId,
        }).pipe(Effect.map((response) => response.partitions.map(fromProtoPartition))),
      getHealth: () =>
        unary<Proto.GetHealthRequest, Proto.Health>("GetHealth", client.getHealth, {}).pipe(
          Effect.flatMap((health) => decode("GetHealth", () => fromProtoHealth(health))),
        ),
      getPartitionTable: (correlatorId = "") =>
        unary<Proto.GetPartitionTableRequest, Proto.PartitionTable>("GetPartitionTable", client.getPartitionTable, {
          correlatorId,
        }).pipe(Effect.map(fromProtoPartitionTable)),
      // The server finishes a drain whoever waits for it; a deadline here only stops the waiting.
      drain: () =>
        unary<Proto.DrainRequest, Proto.DrainResponse>("Drain", client.drain, {}, drainDeadlineMs).pipe(
          Effect.map((response) => ({ nodeId: response.nodeId, partitionsHandedOver: response.partitionsHandedOver })),
        ),
      getGroupState: (query) =>
        unary<Proto.GetGroupStateRequest, Proto.GroupState>("GetGroupState", client.getGroupState, {
          correlatorId: query.correlatorId,
          partition: query.partition,
          ruleId: query.ruleId,
          groupKey: query.groupKey,
        }).pipe(Effect.map(fromProtoGroupState)),
      deployCorrelator: (document) =>
        unary<Proto.DeployCorrelatorRequest, Proto.DeployCorrelatorResponse>("DeployCorrelator", client.deployCorrelator, {
          document: document.document,
          format: document.format,
          validateOnly: document.validateOnly === true,
        }).pipe(Effect.map((response) => ({ correlatorId: response.correlatorId, revision: response.revision, created: response.created }))),
      reloadCorrelator: (correlatorId) =>
        unary<Proto.ReloadCorrelatorRequest, Proto.ReloadCorrelatorResponse>("ReloadCorrelator", client.reloadCorrelator, { correlatorId }).pipe(
          Effect.map((response) => ({ correlatorId, revision: response.revision, created: response.created })),
        ),
      getActiveLists: (correlatorId) =>
        unary<Proto.GetActiveListsRequest, Proto.GetActiveListsResponse>("GetActiveLists", client.getActiveLists, { correlatorId }).pipe(
          Effect.map((response) => ({
            nodeId: response.nodeId,
            partitions: response.partitions.map((partition) => ({
              partition: partition.partition,
              epoch: partition.epoch,
              appliedSequence: partition.appliedSequence,
              lists: partition.lists.map((list) => ({ name: list.name, count: list.count })),
            })),
          })),
        ),
      getActiveListRecords: (query) =>
        unary<Proto.GetActiveListRecordsRequest, Proto.GetActiveListRecordsResponse>("GetActiveListRecords", client.getActiveListRecords, {
          correlatorId: query.correlatorId,
          list: query.list,
          keyPattern: query.keyPattern ?? "",
          offset: query.offset,
          limit: query.limit,
        }).pipe(
          Effect.map((response) => ({
            nodeId: response.nodeId,
            partitions: response.partitions.map((partition) => ({
              partition: partition.partition,
              epoch: partition.epoch,
              appliedSequence: partition.appliedSequence,
              total: partition.total,
              records: partition.records.map((record) => ({
                key: record.key,
                fields: Object.fromEntries(record.fields.map((field) => [field.name, field.value])),
                createdAt: record.createdAtMs,
                expiresAt: record.expires ? record.expiresAtMs : undefined,
              })),
            })),
          })),
        ),
      restartService: (request, deadline = Duration.seconds(60)) =>
        unary<Proto.RestartServiceRequest, Proto.RestartServiceResponse>(
          "RestartService",
          client.restartService,
          { serviceId: request.serviceId, tenantId: request.tenantId, requestedBy: request.requestedBy },
          Duration.toMillis(deadline),
        ).pipe(Effect.map((response) => ({ nodeId: response.nodeId, kind: response.kind }))),
    };
  });

const modeFromProto = new Map<Proto.NodeMode, NodeMode>([
  [Proto.NodeMode.NODE_MODE_EMBEDDED, "embedded"],
  [Proto.NodeMode.NODE_MODE_CLUSTER, "cluster"],
]);

const roleFromProto = new Map<Proto.NodeRole, NodeRole>([
  [Proto.NodeRole.NODE_ROLE_COLLECTOR, "collector"],
  [Proto.NodeRole.NODE_ROLE_STORE, "store"],
  [Proto.NodeRole.NODE_ROLE_ROUTER, "router"],
  [Proto.NodeRole.NODE_ROLE_CORRELATOR, "correlator"],
  [Proto.NodeRole.NODE_ROLE_ALERTS, "alerts"],
  [Proto.NodeRole.NODE_ROLE_GATEWAY, "gateway"],
]);

// Throws on a mode this client does not know: every decision about a node depends on it.
// Unknown roles are skipped instead, so a newer node still answers an older client.
const fromProtoNodeInfo = (info: Proto.NodeInfo): NodeInfo => {
  const mode = modeFromProto.get(info.mode);
  if (mode === undefined) throw new Error(`unknown node mode ${info.mode}`);
  const counters = info.counters ?? Proto.NodeCounters.create();
  return {
    nodeId: info.nodeId,
    version: info.version,
    roles: info.roles.flatMap((role) => {
      const known = roleFromProto.get(role);
      return known === undefined ? [] : [known];
    }),
    startTimeMs: info.startTimeMs,
    uptimeMs: info.uptimeMs,
    mode,
    counters: {
      eventsReceived: counters.eventsReceived,
      eventsStored: counters.eventsStored,
      correlationEvents: counters.correlationEvents,
      alerts: counters.alerts,
      parseErrors: counters.parseErrors,
    },
    rates:
      info.rates === undefined
        ? undefined
        : {
            eventsReceivedPerSecond: info.rates.eventsReceivedPerSecond,
            eventsStoredPerSecond: info.rates.eventsStoredPerSecond,
            correlationEventsPerSecond: info.rates.correlationEventsPerSecond,
            windowMs: info.rates.windowMs,
          },
  };
};

const fromProtoPartition = (partition: Proto.Partition): PartitionInfo => ({
  correlatorId: partition.correlatorId,
  partition: partition.partition,
  ownerNode: partition.ownerNode,
  streamSequence: partition.streamSequence,
});

const healthFromProto = new Map<Proto.HealthStatus, HealthStatus>([
  [Proto.HealthStatus.HEALTH_STATUS_SERVING, "serving"],
  [Proto.HealthStatus.HEALTH_STATUS_DRAINING, "draining"],
  [Proto.HealthStatus.HEALTH_STATUS_NOT_SERVING, "not-serving"],
]);

// Throws on a status this client does not know: a probe must not read "unknown" as healthy.
const fromProtoHealth = (health: Proto.Health): NodeHealth => {
  const status = healthFromProto.get(health.status);
  if (status === undefined) throw new Error(`unknown health status ${health.status}`);
  return { status, detail: health.detail };
};

// Proto3 has no absent string or number: an empty owner is "unowned", and has_lag says whether lag means anything.
const fromProtoPartitionTable = (table: Proto.PartitionTable): PartitionTable => ({
  nodeId: table.nodeId,
  members: table.members.map((member) => ({
    nodeId: member.nodeId,
    address: member.address,
    draining: member.draining,
    startedAtMs: member.startedAtMs,
  })),
  partitions: table.partitions.map(fromProtoEntry),
  routers: table.routers.map(fromProtoEntry),
});

const fromProtoEntry = (entry: Proto.PartitionTableEntry): PartitionTableEntry => ({
  correlatorId: entry.correlatorId,
  partition: entry.partition,
  owner: entry.ownerNode === "" ? undefined : { nodeId: entry.ownerNode, epoch: entry.epoch },
  progress:
    entry.progress === undefined
      ? undefined
      : {
          epoch: entry.progress.epoch,
          appliedSequence: entry.progress.appliedSequence,
          checkpointSequence: entry.progress.checkpointSequence,
          lag: entry.progress.hasLag ? entry.progress.lag : undefined,
        },
});

// Selectors are put back in rule order by their position; event times mean nothing without events.
const fromProtoGroupState = (state: Proto.GroupState): GroupStateInfo => ({
  correlatorId: state.correlatorId,
  partition: state.partition,
  ruleId: state.ruleId,
  groupKey: state.groupKey,
  epoch: state.epoch,
  appliedSequence: state.appliedSequence,
  windowStartMs: state.windowStartMs,
  windowEndMs: state.windowEndMs,
  eventCount: state.eventCount,
  firstEventMs: state.eventCount > 0 ? state.firstEventMs : undefined,
  lastEventMs: state.eventCount > 0 ? state.lastEventMs : undefined,
  fired: state.fired,
  selectors: [...state.selectors]
    .sort((a, b) => a.selector - b.selector)
    .map((selector) => ({
      name: selector.name === "" ? undefined : selector.name,
      count: selector.count,
      threshold: selector.threshold,
      recovery: selector.recovery,
    })),
});
