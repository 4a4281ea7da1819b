// ControlServer and ControlClient against each other over real gRPC on 127.0.0.1: the wire
// mapping both ways, the loopback guard, defects hidden from clients, and deadlines.
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "@effect/vitest";
import { Effect } from "effect";
import * as ControlClient from "./ControlClient.ts";
import * as ControlServer from "./ControlServer.ts";
import type { NodeInfo, NodeStatus, PartitionInfo } from "./NodeStatus.ts";

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
};

// Deliberately unsorted, with a sequence above 2^32 to prove int64 survives as a number.
const partitions: ReadonlyArray<PartitionInfo> = [
  { correlatorId: "corr-b", partition: 1, ownerNode: "node-a", streamSequence: 0 },
  { correlatorId: "corr-a", partition: 2, ownerNode: "node-a", streamSequence: 5_000_000_000 },
  { correlatorId: "corr-a", partition: 0, ownerNode: "node-a", streamSequence: 17 },
];

const fakeStatus: NodeStatus = {
  nodeInfo: Effect.succeed(nodeInfo),
  partitions: Effect.succeed(partitions),
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
