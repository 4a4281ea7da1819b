// ControlServer and ControlClient against each other over real gRPC on 127.0.0.1: the wire
// mapping both ways for every RPC, domain failures as NOT_FOUND, INVALID_ARGUMENT or
// FAILED_PRECONDITION, unreadable cluster state as UNAVAILABLE, the loopback guard, defects hidden
// from clients, and deadlines.
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "@effect/vitest";
import { Deferred, Effect, Ref } from "effect";
import * as ControlClient from "./ControlClient.ts";
import * as ControlServer from "./ControlServer.ts";
import {
  ClusterStateError,
  type CorrelatorDocument,
  CorrelatorInvalid,
  CorrelatorNotFound,
  DeployRefused,
  GroupNotFound,
  type GroupQuery,
  type GroupStateInfo,
  type NodeHealth,
  type NodeInfo,
  type NodeStatus,
  type PartitionInfo,
  type PartitionTable,
} from "./NodeStatus.ts";

const nodeInfo: NodeInfo = {
  nodeId: "node-a",
  version: "0.1.0",
  roles: ["collector", "router", "correlator", "gateway"],
  startTimeMs: 1_732_000_000_000,
  uptimeMs: 12_345,
  mode: "embedded",
  counters: {
    eventsReceived: 1_000_000,
    eventsStored: 999_990,
    correlationEvents: 42,
    alerts: 7,
    parseErrors: 10,
  },
  rates: { eventsReceivedPerSecond: 1_250.5, eventsStoredPerSecond: 1_200, correlationEventsPerSecond: 0.1, windowMs: 10_000 },
};

// Deliberately unsorted, with a sequence above 2^32 to prove int64 survives as a number.
const partitions: ReadonlyArray<PartitionInfo> = [
  { correlatorId: "corr-b", partition: 1, ownerNode: "node-a", streamSequence: 0 },
  { correlatorId: "corr-a", partition: 2, ownerNode: "node-a", streamSequence: 5_000_000_000 },
  { correlatorId: "corr-a", partition: 0, ownerNode: "node-a", streamSequence: 17 },
];

// Unsorted members and partitions; one unowned, one held elsewhere, two run here (one lag known).
const partitionTable: PartitionTable = {
  nodeId: "node-a",
  members: [
    { nodeId: "node-b", address: "127.0.0.1:7226", draining: true, startedAtMs: 1_732_000_000_500 },
    { nodeId: "node-a", address: "127.0.0.1:7225", draining: false, startedAtMs: 1_732_000_000_000 },
  ],
  partitions: [
    { correlatorId: "corr-b", partition: 0, owner: undefined, progress: undefined },
    { correlatorId: "corr-a", partition: 1, owner: { nodeId: "node-b", epoch: 9 }, progress: undefined },
    {
      correlatorId: "corr-a",
      partition: 0,
      owner: { nodeId: "node-a", epoch: 12 },
      progress: { epoch: 12, appliedSequence: 5_000_000_000, checkpointSequence: 4_999_000_000, lag: undefined },
    },
    {
      correlatorId: "corr-b",
      partition: 1,
      owner: { nodeId: "node-a", epoch: 3 },
      progress: { epoch: 3, appliedSequence: 40, checkpointSequence: 0, lag: 2 },
    },
  ],
  routers: [
    { correlatorId: "corr-b", partition: 2, owner: undefined, progress: undefined },
    { correlatorId: "corr-a", partition: 3, owner: { nodeId: "node-a", epoch: 14 }, progress: { epoch: 14, appliedSequence: 900, checkpointSequence: 800, lag: 0 } },
  ],
};

const liveGroup: GroupQuery = { correlatorId: "corr-a", partition: 0, ruleId: "brute-force", groupKey: "10.0.0.1\u001fadmin" };

const groupState: GroupStateInfo = {
  ...liveGroup,
  epoch: 12,
  appliedSequence: 5_000_000_000,
  windowStartMs: 1_732_000_100_000,
  windowEndMs: 1_732_000_160_000,
  eventCount: 2,
  firstEventMs: 1_732_000_100_000,
  lastEventMs: 1_732_000_105_000,
  fired: 1,
  selectors: [
    { name: "failures", count: 2, threshold: 5, recovery: false },
    { name: undefined, count: 0, threshold: 1, recovery: true },
  ],
};

const fakeStatus: NodeStatus = {
  nodeInfo: Effect.succeed(nodeInfo),
  partitions: Effect.succeed(partitions),
  health: Effect.succeed({ status: "serving", detail: "holds 2 partition(s)" }),
  partitionTable: (correlatorId) =>
    correlatorId === undefined
      ? Effect.succeed(partitionTable)
      : correlatorId === "corr-a" || correlatorId === "corr-b"
        ? Effect.succeed({ ...partitionTable, partitions: partitionTable.partitions.filter((entry) => entry.correlatorId === correlatorId) })
        : Effect.fail(new CorrelatorNotFound({ correlatorId })),
  drain: Effect.succeed({ nodeId: "node-a", partitionsHandedOver: 2 }),
  groupState: (query) => {
    if (query.correlatorId !== "corr-a") return Effect.fail(new CorrelatorNotFound({ correlatorId: query.correlatorId }));
    if (query.partition !== 0) return Effect.fail(new GroupNotFound({ query, reason: "partition-not-held" }));
    if (query.ruleId !== liveGroup.ruleId) return Effect.fail(new GroupNotFound({ query, reason: "no-such-rule" }));
    if (query.groupKey !== liveGroup.groupKey) return Effect.fail(new GroupNotFound({ query, reason: "no-live-group" }));
    return Effect.succeed(groupState);
  },
  deployCorrelator: (document: CorrelatorDocument) => {
    if (document.document === "bad") return Effect.fail(new CorrelatorInvalid({ message: `document.${document.format}:\n└─ ["name"]\n   └─ is missing` }));
    if (document.document === "other") return Effect.fail(new CorrelatorNotFound({ correlatorId: "other" }));
    if (document.document === "lists") return Effect.fail(new DeployRefused({ message: "correlator corr-a runs in partitions; its partition count is fixed" }));
    return Effect.succeed({ correlatorId: "corr-a", revision: 5_000_000_000, created: document.format === "yaml" });
  },
  reloadCorrelator: (correlatorId) =>
    correlatorId === "corr-a" ? Effect.succeed({ correlatorId, revision: 4, created: false }) : Effect.fail(new CorrelatorNotFound({ correlatorId })),
};

describe("ControlServer", () => {
  it.scopedLive("serves GetNodeInfo over gRPC exactly as the NodeStatus reports it", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({ status: fakeStatus, port: 0 });
      expect(server.port).toBeGreaterThan(0);
      expect(server.address).toBe(`127.0.0.1:${server.port}`);
      const client = yield* ControlClient.make(server.address);
      expect(yield* client.getNodeInfo()).toEqual(nodeInfo);
    }));

  it.scopedLive("serves ListPartitions sorted by correlator and partition, filtered by correlator", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({ status: fakeStatus, port: 0 });
      const client = yield* ControlClient.make(server.address);
      expect(yield* client.listPartitions()).toEqual([partitions[2], partitions[1], partitions[0]]);
      expect(yield* client.listPartitions("corr-b")).toEqual([partitions[0]]);
      expect(yield* client.listPartitions("corr-none")).toEqual([]);
    }));

  it.scopedLive("serves GetHealth: serving, draining and not serving each with its detail", () =>
    Effect.gen(function* () {
      const health = yield* Ref.make<NodeHealth>({ status: "serving", detail: "holds 2 partition(s)" });
      const server = yield* ControlServer.make({ status: { ...fakeStatus, health: Ref.get(health) }, port: 0 });
      const client = yield* ControlClient.make(server.address);
      expect(yield* client.getHealth()).toEqual({ status: "serving", detail: "holds 2 partition(s)" });
      const later: ReadonlyArray<NodeHealth> = [
        { status: "draining", detail: "drained: holds no partitions and takes none" },
        { status: "not-serving", detail: "stopping" },
      ];
      for (const next of later) {
        yield* Ref.set(health, next);
        expect(yield* client.getHealth()).toEqual(next);
      }
    }));

  it.scopedLive("serves GetPartitionTable: members by node id, partitions sorted, unowned and remote entries without progress, lag only when known", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({ status: fakeStatus, port: 0 });
      const client = yield* ControlClient.make(server.address);
      const table = yield* client.getPartitionTable();
      expect(table.nodeId).toBe("node-a");
      expect(table.members).toEqual([partitionTable.members[1], partitionTable.members[0]]);
      expect(table.partitions).toEqual([
        partitionTable.partitions[2],
        partitionTable.partitions[1],
        partitionTable.partitions[0],
        partitionTable.partitions[3],
      ]);
      expect((yield* client.getPartitionTable("corr-b")).partitions.map((entry) => entry.partition)).toEqual([0, 1]);
      expect(table.routers).toEqual([partitionTable.routers[1], partitionTable.routers[0]]);
    }));

  it.scopedLive("serves DeployCorrelator and ReloadCorrelator: the revision as the NodeStatus gives it; invalid, unknown and refused deploys as INVALID_ARGUMENT, NOT_FOUND and FAILED_PRECONDITION with the reason", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({ status: fakeStatus, port: 0 });
      const client = yield* ControlClient.make(server.address);
      expect(yield* client.deployCorrelator({ document: "{}", format: "yaml" })).toEqual({ correlatorId: "corr-a", revision: 5_000_000_000, created: true });
      expect(yield* client.deployCorrelator({ document: "{}", format: "json" })).toMatchObject({ created: false });
      expect(yield* client.reloadCorrelator("corr-a")).toEqual({ correlatorId: "corr-a", revision: 4, created: false });
      const refused = (document: string) => Effect.flip(client.deployCorrelator({ document, format: "json" }));
      const invalid = yield* refused("bad");
      expect([invalid.code, invalid.detail]).toEqual([grpc.status.INVALID_ARGUMENT, 'document.json:\n└─ ["name"]\n   └─ is missing']);
      expect((yield* refused("other")).code).toBe(grpc.status.NOT_FOUND);
      const lists = yield* refused("lists");
      expect([lists.code, lists.detail]).toEqual([grpc.status.FAILED_PRECONDITION, "correlator corr-a runs in partitions; its partition count is fixed"]);
      expect((yield* Effect.flip(client.reloadCorrelator("nope"))).code).toBe(grpc.status.NOT_FOUND);
    }));

  it.scopedLive("answers DeployCorrelator with INVALID_ARGUMENT for a format other than json or yaml; an empty format is json", () =>
    Effect.gen(function* () {
      const formats: Array<string> = [];
      const server = yield* ControlServer.make({
        status: { ...fakeStatus, deployCorrelator: (document) => Effect.sync(() => (formats.push(document.format), { correlatorId: "corr-a", revision: 1, created: true })) },
        port: 0,
      });
      const client = yield* ControlClient.make(server.address);
      const error = yield* Effect.flip(client.deployCorrelator({ document: "{}", format: "toml" as "json" }));
      expect([error.code, error.detail]).toEqual([grpc.status.INVALID_ARGUMENT, 'format must be "json" or "yaml", not "toml"']);
      yield* client.deployCorrelator({ document: "{}", format: "" as "json" });
      expect(formats).toEqual(["json"]);
    }));

  it.scopedLive("answers GetPartitionTable for an unknown correlator with NOT_FOUND naming it", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({ status: fakeStatus, port: 0 });
      const client = yield* ControlClient.make(server.address);
      const error = yield* Effect.flip(client.getPartitionTable("corr-none"));
      expect(error.code).toBe(grpc.status.NOT_FOUND);
      expect(error.message).toContain("correlator corr-none is not deployed");
    }));

  it.scopedLive("answers UNAVAILABLE without the cause when membership or leases cannot be read", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({
        status: {
          ...fakeStatus,
          partitionTable: () => Effect.fail(new ClusterStateError({ message: "cannot read lease x (bucket CORVUS_SECRET_LEASES)", cause: new Error("nats://10.0.0.9 refused") })),
        },
        port: 0,
      });
      const client = yield* ControlClient.make(server.address);
      const error = yield* Effect.flip(client.getPartitionTable());
      expect(error.code).toBe(grpc.status.UNAVAILABLE);
      expect(error.message).toContain("cluster state");
      expect(error.message).not.toMatch(/SECRET|10\.0\.0\.9/);
    }));

  it.scopedLive("serves Drain with the count of partitions handed over; a caller past its deadline gets DEADLINE_EXCEEDED while the drain goes on", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({ status: fakeStatus, port: 0 });
      const client = yield* ControlClient.make(server.address);
      expect(yield* client.drain()).toEqual({ nodeId: "node-a", partitionsHandedOver: 2 });

      // A drain slower than the caller's deadline, uninterruptible as the node's is: the server's
      // cancellation of the call neither fails nor cuts it short.
      const release = yield* Deferred.make<void>();
      const finished = yield* Deferred.make<void>();
      const slow = yield* ControlServer.make({
        status: {
          ...fakeStatus,
          drain: Effect.uninterruptible(
            Deferred.await(release).pipe(
              Effect.zipRight(Deferred.succeed(finished, undefined)),
              Effect.as({ nodeId: "node-a", partitionsHandedOver: 1 }),
            ),
          ),
        },
        port: 0,
      });
      const impatient = yield* ControlClient.make(slow.address, { drainDeadline: "200 millis" });
      const error = yield* Effect.flip(impatient.drain());
      expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      yield* Deferred.succeed(release, undefined);
      yield* Deferred.await(finished).pipe(Effect.timeout("2 seconds"));
    }));

  it.scopedLive("serves GetGroupState of a live group as the NodeStatus reports it", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({ status: fakeStatus, port: 0 });
      const client = yield* ControlClient.make(server.address);
      expect(yield* client.getGroupState(liveGroup)).toEqual(groupState);
      const quiet = { ...groupState, eventCount: 0, firstEventMs: undefined, lastEventMs: undefined };
      const server2 = yield* ControlServer.make({ status: { ...fakeStatus, groupState: () => Effect.succeed(quiet) }, port: 0 });
      const client2 = yield* ControlClient.make(server2.address);
      expect(yield* client2.getGroupState(liveGroup)).toEqual(quiet);
    }));

  it.scopedLive("answers GetGroupState with NOT_FOUND saying why: unknown correlator, partition held elsewhere, unknown rule, no live group", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({ status: fakeStatus, port: 0 });
      const client = yield* ControlClient.make(server.address);
      const cases = [
        [{ ...liveGroup, correlatorId: "corr-none" }, "correlator corr-none is not deployed"],
        [{ ...liveGroup, partition: 3 }, "partition corr-a/3 is not held by this node"],
        [{ ...liveGroup, ruleId: "no-rule" }, "has no rule no-rule"],
        [{ ...liveGroup, groupKey: "10.9.9.9" }, 'no live group "10.9.9.9" of rule brute-force'],
      ] as const;
      for (const [query, reason] of cases) {
        const error = yield* Effect.flip(client.getGroupState(query));
        expect(error.code).toBe(grpc.status.NOT_FOUND);
        expect(error.message).toContain(reason);
      }
    }));

  it.scopedLive("answers INTERNAL without the defect's message when the NodeStatus dies", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({
        status: { ...fakeStatus, nodeInfo: Effect.die(new Error("secret driver detail")) },
        port: 0,
      });
      const client = yield* ControlClient.make(server.address);
      const error = yield* Effect.flip(client.getNodeInfo());
      expect(error._tag).toBe("ControlError");
      expect(error.code).toBe(grpc.status.INTERNAL);
      expect(error.message).not.toContain("secret");
    }));

  it.scopedLive("refuses to bind a non-loopback host while the control plane has no TLS", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(ControlServer.make({ status: fakeStatus, host: "0.0.0.0", port: 0 }));
      expect(error._tag).toBe("ControlServerError");
    }));

  it.scopedLive("fails with ControlServerError when the port is already taken", () =>
    Effect.gen(function* () {
      const first = yield* ControlServer.make({ status: fakeStatus, port: 0 });
      const error = yield* Effect.flip(ControlServer.make({ status: fakeStatus, port: first.port }));
      expect(error._tag).toBe("ControlServerError");
    }));
});

describe("ControlClient", () => {
  it.scopedLive("fails with ControlError within the deadline when the server's port is closed", () =>
    Effect.gen(function* () {
      // A port that was just ours and is closed again once the inner scope ends.
      const closedAddress = yield* Effect.scoped(
        Effect.map(ControlServer.make({ status: fakeStatus, port: 0 }), (server) => server.address),
      );
      const client = yield* ControlClient.make(closedAddress, { deadline: "1 second" });
      const startedAt = Date.now();
      const error = yield* Effect.flip(client.getNodeInfo());
      const elapsedMs = Date.now() - startedAt;
      expect(error._tag).toBe("ControlError");
      expect([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]).toContain(error.code);
      expect(elapsedMs).toBeLessThan(1_500);
    }));

  it.scopedLive("fails with DEADLINE_EXCEEDED when the node does not answer in time", () =>
    Effect.gen(function* () {
      const server = yield* ControlServer.make({
        status: { ...fakeStatus, partitions: Effect.never },
        port: 0,
        shutdownTimeout: "100 millis",
      });
      const client = yield* ControlClient.make(server.address, { deadline: "300 millis" });
      const startedAt = Date.now();
      const error = yield* Effect.flip(client.listPartitions());
      expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(Date.now() - startedAt).toBeLessThan(1_000);
    }));
});
