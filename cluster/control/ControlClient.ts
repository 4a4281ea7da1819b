// A typed client for one node's control server (proto corvus.control.v1.Control): every call
// is an Effect with a deadline, answers are decoded into NodeStatus types at this edge.
import * as grpc from "@grpc/grpc-js";
import { Data, Duration, Effect, type Scope } from "effect";
import * as Proto from "../../proto/gen/corvus/control/v1/control.ts";
import type { NodeInfo, NodeMode, NodeRole, PartitionInfo } from "./NodeStatus.ts";

/** A connection to one node's control plane. */
export interface ControlClient {
  readonly address: string;
  /** What the node says about itself. */
  readonly getNodeInfo: () => Effect.Effect<NodeInfo, ControlError>;
  /** The partitions the node holds, sorted; only `correlatorId`'s when given. */
  readonly listPartitions: (correlatorId?: string) => Effect.Effect<ReadonlyArray<PartitionInfo>, ControlError>;
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
  override get message(): string {
    const code = this.code === undefined ? "" : ` (${grpc.status[this.code]})`;
    const detail = this.cause instanceof Error ? this.cause.message : String(this.cause);
    return `control ${this.method} on ${this.address} failed${code}: ${detail}`;
  }
}

export interface Options {
  /** Per-call deadline. Default 5 s. */
  readonly deadline?: Duration.DurationInput;
}

/** Opens a channel to `address` (`host:port`); it is closed when the scope closes. */
export const make = (address: string, options: Options = {}): Effect.Effect<ControlClient, never, Scope.Scope> =>
  Effect.gen(function* () {
    const deadlineMs = Duration.toMillis(options.deadline ?? Duration.seconds(5));
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
    ): Effect.Effect<Res, ControlError> =>
      Effect.async<Res, ControlError>((resume) => {
        // grpc-js measures deadlines against the wall clock, so this is Date.now(), not
        // Effect's Clock (under a TestClock every call would already be expired).
        const call = invoke.call(client, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => {
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
  };
};

const fromProtoPartition = (partition: Proto.Partition): PartitionInfo => ({
  correlatorId: partition.correlatorId,
  partition: partition.partition,
  ownerNode: partition.ownerNode,
  streamSequence: partition.streamSequence,
});
