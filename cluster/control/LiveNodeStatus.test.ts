// LiveNodeStatus over in-memory membership and leases and a stand-in supervisor: the node's
// health through its life, drains counted in partitions (not routers) and waiting for the roles,
// the partition table's owners and progress, domain misses and unreadable cluster state.
import { describe, expect, it } from "@effect/vitest";
import { Effect, Fiber, Layer, Option, Schema } from "effect";
import { CorrelatorEngine } from "../../actors/CorrelatorEngine.ts";
import type { NormalizedEvent } from "../../model/Event.ts";
import { CorrelatorId, TenantId } from "../../model/Ids.ts";
import { CorrelatorSpec } from "../../model/Rule.ts";
import * as Membership from "../ownership/Membership.ts";
import { OwnershipError } from "../ownership/OwnershipNames.ts";
import * as PartitionLeases from "../ownership/PartitionLeases.ts";
import type { HeldPartition, Supervisor } from "../PartitionSupervisor.ts";
import * as LiveNodeStatus from "./LiveNodeStatus.ts";
import type { GroupQuery } from "./NodeStatus.ts";

const correlatorId = CorrelatorId.make("soc");
const spec = Schema.decodeUnknownSync(CorrelatorSpec)({
  id: correlatorId,
  tenantId: "main",
  name: "SOC",
  sources: [{ tenantId: "acme" }],
  rules: [
    {
      kind: "standard",
      id: "brute-force",
      name: "Brute force",
      selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold: 5 }],
      identicalFields: ["SourceAddress"],
      windowSeconds: 60,
    },
    { kind: "simple", id: "every-failure", name: "Every failure", selector: { filter: { field: "EventOutcome", op: "=", value: "failure" } } },
  ],
});

const options: LiveNodeStatus.LiveNodeStatusOptions = {
  nodeId: "node-a",
  version: "test",
  mode: "embedded",
  roles: ["correlator"],
  correlators: [{ spec, partitions: 2 }],
};

const counters = { eventsReceived: 3, eventsStored: 3, correlationEvents: 0, alerts: 0, parseErrors: 0 };

// Only what LiveNodeStatus reads of a held entry; the supervisor's own fields stay out of the fake.
const heldPartition = (partition: number, engine = new CorrelatorEngine(spec)): HeldPartition =>
  ({
    correlatorId,
    partition,
    lease: { epoch: 40 + partition },
    actor: { stats: { lastSequence: 17, checkpointSequence: 9 }, engine },
  }) as unknown as HeldPartition;

// A router's slot comes after the partitions and has no actor.
const heldRouter = (): HeldPartition => ({ correlatorId, partition: 2, lease: { epoch: 50 }, actor: undefined }) as unknown as HeldPartition;

/** A supervisor whose drain hands everything over, as the real one does. */
const fakeSupervisor = (entries: ReadonlyArray<HeldPartition>): Supervisor => {
  const held = new Map(entries.map((entry) => [`${entry.correlatorId}/${entry.partition}`, entry]));
  const stats = { acquired: entries.length, handedOver: 0, lost: 0 };
  return {
    held,
    stats,
    drain: Effect.sync(() => {
      stats.handedOver += held.size;
      held.clear();
    }),
  };
};

const memory = Layer.merge(Membership.layerMemory(), PartitionLeases.layerMemory());

describe("LiveNodeStatus", () => {
  it.scoped("health: not serving while starting, serving once started, draining after a drain, not serving when stopping", () =>
    Effect.gen(function* () {
      const live = yield* LiveNodeStatus.make(options);
      expect(yield* live.status.health).toEqual({ status: "not-serving", detail: "starting" });
      expect((yield* live.status.nodeInfo).counters.eventsReceived).toBe(0);

      yield* live.started({ supervisor: fakeSupervisor([heldPartition(0), heldPartition(1), heldRouter()]), counters: () => counters });
      expect(yield* live.status.health).toEqual({ status: "serving", detail: "holds 2 partition(s)" });
      expect((yield* live.status.nodeInfo).counters).toEqual(counters);
      expect((yield* live.status.partitions).map((partition) => partition.partition)).toEqual([0, 1]);

      // The router was handed over too, but the operator asked how many partitions moved.
      expect(yield* live.status.drain).toEqual({ nodeId: "node-a", partitionsHandedOver: 2 });
      expect(yield* live.status.health).toEqual({ status: "draining", detail: "drained: holds no partitions and takes none" });

      yield* live.stopping;
      expect((yield* live.status.health).status).toBe("not-serving");
    }).pipe(Effect.provide(memory)));

  it.scoped("a drain asked for while the node starts waits for the roles, then hands over", () =>
    Effect.gen(function* () {
      const live = yield* LiveNodeStatus.make(options);
      const drain = yield* Effect.fork(live.status.drain);
      yield* Effect.yieldNow();
      expect(Option.isNone(yield* Fiber.poll(drain))).toBe(true);
      yield* live.started({ supervisor: fakeSupervisor([heldPartition(1)]), counters: () => counters });
      expect(yield* Fiber.join(drain)).toEqual({ nodeId: "node-a", partitionsHandedOver: 1 });
    }).pipe(Effect.provide(memory)));

  it.scoped("the partition table has every partition with its lease owner, progress only where this node runs it, and the members", () =>
    Effect.gen(function* () {
      const leases = yield* PartitionLeases.PartitionLeases;
      const membership = yield* Membership.Membership;
      yield* membership.join({ nodeId: "node-a", address: "127.0.0.1:7225", startedAt: 1_000, draining: false });
      const lease = yield* leases.acquire(correlatorId, 0, "node-a");
      const live = yield* LiveNodeStatus.make(options);
      yield* live.started({ supervisor: fakeSupervisor([heldPartition(0)]), counters: () => counters });

      expect(yield* live.status.partitionTable(undefined)).toEqual({
        nodeId: "node-a",
        members: [{ nodeId: "node-a", address: "127.0.0.1:7225", draining: false, startedAtMs: 1_000 }],
        partitions: [
          {
            correlatorId,
            partition: 0,
            owner: { nodeId: "node-a", epoch: lease!.epoch },
            progress: { epoch: 40, appliedSequence: 17, checkpointSequence: 9, lag: undefined },
          },
          { correlatorId, partition: 1, owner: undefined, progress: undefined },
        ],
      });
      expect((yield* live.status.partitionTable(correlatorId)).partitions).toHaveLength(2);
      const missing = yield* Effect.flip(live.status.partitionTable("nope"));
      expect(missing).toMatchObject({ _tag: "CorrelatorNotFound", correlatorId: "nope" });
    }).pipe(Effect.provide(memory)));

  it.scoped("a lease bucket that cannot be read becomes ClusterStateError carrying the cause", () =>
    Effect.gen(function* () {
      const live = yield* LiveNodeStatus.make(options);
      const error = yield* Effect.flip(live.status.partitionTable(undefined));
      expect(error._tag).toBe("ClusterStateError");
      expect(error).toMatchObject({ cause: { _tag: "OwnershipError" } });
    }).pipe(
      Effect.provide(
        Layer.merge(
          Membership.layerMemory(),
          Layer.effect(
            PartitionLeases.PartitionLeases,
            Effect.map(PartitionLeases.PartitionLeases, (real) => ({
              ...real,
              current: () => Effect.fail(new OwnershipError({ message: "cannot read lease (bucket CORVUS_X_LEASES)" })),
            })),
          ).pipe(Layer.provide(PartitionLeases.layerMemory())),
        ),
      ),
    ));

  it.scoped("group state: a live group from the partition's engine; NOT_FOUND reasons for the rest", () =>
    Effect.gen(function* () {
      const engine = new CorrelatorEngine(spec, { partition: { index: 0, count: 2 } });
      const t0 = Date.UTC(2024, 4, 1);
      const event = (address: string, offset: number): NormalizedEvent => ({
        ID: `00000000-0000-4000-8000-${(offset + 1).toString(16).padStart(12, "0")}`,
        Timestamp: t0 + offset,
        TenantID: TenantId.make("acme"),
        Type: 1,
        EventOutcome: "failure",
        SourceAddress: address,
      });
      // Addresses until one lands in partition 0 (the engine ignores the others' groups).
      const addresses = Array.from({ length: 16 }, (_, index) => `10.0.0.${index}`);
      engine.processBatch(addresses.flatMap((address, index) => [event(address, index), event(address, 100 + index)]));
      const local = addresses.find((address) => engine.groupState("brute-force", address) !== undefined)!;
      const remote = addresses.find((address) => engine.groupState("brute-force", address) === undefined)!;

      const live = yield* LiveNodeStatus.make(options);
      yield* live.started({ supervisor: fakeSupervisor([heldPartition(0, engine)]), counters: () => counters });
      const query: GroupQuery = { correlatorId, partition: 0, ruleId: "brute-force", groupKey: local };
      expect(yield* live.status.groupState(query)).toMatchObject({ ...query, epoch: 40, appliedSequence: 17, eventCount: 2, fired: 0, windowEndMs: expect.any(Number) });

      const reasonOf = (changed: Partial<GroupQuery>) =>
        Effect.flip(live.status.groupState({ ...query, ...changed })).pipe(Effect.map((error) => (error._tag === "GroupNotFound" ? error.reason : error._tag)));
      expect(yield* reasonOf({ partition: 1 })).toBe("partition-not-held");
      expect(yield* reasonOf({ ruleId: "every-failure" })).toBe("no-such-rule");
      expect(yield* reasonOf({ ruleId: "nope" })).toBe("no-such-rule");
      expect(yield* reasonOf({ groupKey: remote })).toBe("no-live-group");
      expect(yield* reasonOf({ correlatorId: "nope" })).toBe("CorrelatorNotFound");
    }).pipe(Effect.provide(memory)));
});
