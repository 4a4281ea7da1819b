// The node's gRPC control server (proto corvus.control.v1.Control): a scoped resource that
// answers from a NodeStatus and shuts down gracefully when its scope closes.
import * as grpc from "@grpc/grpc-js";
import { Data, Duration, Effect, Exit, type Fiber, FiberSet, Option, type Scope } from "effect";
import * as net from "node:net";
import * as Proto from "../../proto/gen/corvus/control/v1/control.ts";
import type { NodeInfo, NodeMode, NodeRole, NodeStatus, PartitionInfo } from "./NodeStatus.ts";

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

export interface Options {
  readonly status: NodeStatus;
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
        server.addService(Proto.ControlService, implementation(options.status, run));
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

const implementation = (status: NodeStatus, run: Run): Proto.ControlServer => ({
  getNodeInfo: (call, callback) => answer(call, callback, "GetNodeInfo", Effect.map(status.nodeInfo, toProtoNodeInfo), run),
  listPartitions: (call, callback) =>
    answer(
      call,
      callback,
      "ListPartitions",
      Effect.map(status.partitions, (partitions) => toProtoPartitions(partitions, call.request.correlatorId)),
      run,
    ),
});

// Runs one unary call's effect, cancels it when the client goes away, and turns a defect into
// INTERNAL without its message: a client never sees a stack or an internal error text.
const answer = <Req, Res>(
  call: grpc.ServerUnaryCall<Req, Res>,
  callback: grpc.sendUnaryData<Res>,
  method: string,
  effect: Effect.Effect<Res>,
  run: Run,
): void => {
  const fiber = run(
    Effect.exit(effect).pipe(
      Effect.flatMap((exit) =>
        Exit.isSuccess(exit)
          ? Effect.sync(() => callback(null, exit.value))
          : Effect.logError(`control ${method} failed`, exit.cause).pipe(
              Effect.andThen(
                Effect.sync(() => callback({ code: grpc.status.INTERNAL, details: "internal error" }, null)),
              ),
            ),
      ),
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

const toProtoNodeInfo = (info: NodeInfo): Proto.NodeInfo => ({
  nodeId: info.nodeId,
  version: info.version,
  roles: info.roles.map((role) => roleToProto[role]),
  startTimeMs: info.startTimeMs,
  uptimeMs: info.uptimeMs,
  mode: modeToProto[info.mode],
  counters: { ...info.counters },
});

// The proto promises partitions sorted by correlator, then partition number.
const toProtoPartitions = (partitions: ReadonlyArray<PartitionInfo>, correlatorId: string): Proto.ListPartitionsResponse => ({
  partitions: partitions
    .filter((partition) => correlatorId === "" || partition.correlatorId === correlatorId)
    .map((partition) => ({ ...partition }))
    .sort((a, b) =>
      a.correlatorId === b.correlatorId ? a.partition - b.partition : a.correlatorId < b.correlatorId ? -1 : 1,
    ),
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
