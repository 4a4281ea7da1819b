// LiveNodeStatus over in-memory membership, leases, registry and the embedded bus, with a
// stand-in supervisor: the node's health through its life, drains counted in partitions (not
// routers) and waiting for the roles, the partition table's owners, progress and lag (routers
// included), rates from sampled counters, domain misses, unreadable cluster state, and deploys
// and reloads of a correlator's rules with every refusal.
import { describe, expect, it } from "@effect/vitest";
import * as DuckDb from "../../storage/embedded/DuckDb.ts";
import * as DuckDbEventStore from "../../storage/embedded/DuckDbEventStore.ts";
import { Effect, Fiber, Layer, Option, Schema, TestClock } from "effect";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CorrelatorEngine } from "../../actors/CorrelatorEngine.ts";
import type { NormalizedEvent } from "../../model/Event.ts";
import { CollectorId, CorrelatorId, TenantId } from "../../model/Ids.ts";
import { CorrelatorSpec } from "../../model/Rule.ts";
import * as EmbeddedEventBus from "../bus/EmbeddedEventBus.ts";
import * as CorrelatorRegistry from "../CorrelatorRegistry.ts";
import { BusError, EventBus } from "../EventBus.ts";
import * as Membership from "../ownership/Membership.ts";
import { OwnershipError } from "../ownership/OwnershipNames.ts";
import * as PartitionLeases from "../ownership/PartitionLeases.ts";
import type { HeldPartition, Supervisor } from "../PartitionSupervisor.ts";
import * as Topics from "../Topics.ts";
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
    router: undefined,
  }) as unknown as HeldPartition;

// A router's slot comes after the partitions and has no actor.
const heldRouter = (): HeldPartition =>
  ({ correlatorId, partition: 2, lease: { epoch: 50 }, actor: undefined, router: { lastSequence: 25, checkpointSequence: 20 } }) as unknown as HeldPartition;

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

// The bus, the topics and the registry LiveNodeStatus reads besides membership and leases.
const nodePorts = Layer.mergeAll(
  EmbeddedEventBus.layerEmbedded,
  Topics.layer("embedded"),
  CorrelatorRegistry.layerMemory(),
  DuckDbEventStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))),
);
const memory = Layer.mergeAll(Membership.layerMemory(), PartitionLeases.layerMemory(), nodePorts);

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
            // Nothing was published on the partition's subject: its last sequence is 0, never a negative lag.
            progress: { epoch: 40, appliedSequence: 17, checkpointSequence: 9, lag: 0 },
          },
          { correlatorId, partition: 1, owner: undefined, progress: undefined },
        ],
        routers: [{ correlatorId, partition: 2, owner: undefined, progress: undefined }],
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
        Layer.mergeAll(
          nodePorts,
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

  it.scoped("lag: a partition's match subject's last sequence minus its applied one, a router's events stream's minus its position", () =>
    Effect.gen(function* () {
      const bus = yield* EventBus;
      const topics = yield* Topics.Topics;
      const leases = yield* PartitionLeases.PartitionLeases;
      yield* leases.acquire(correlatorId, 0, "node-a");
      yield* leases.acquire(correlatorId, 2, "node-a");
      // 20 matches on partition 0 (applied 17) and 30 events (routed to 25).
      yield* bus.publish(topics.matches, Array.from({ length: 20 }, (_, index) => ({ correlatorId, partition: 0, streamTime: null, markId: `m${index}` })));
      yield* bus.publish(topics.matches, [{ correlatorId, partition: 1, streamTime: null, markId: "other" }]);
      const event = (index: number): NormalizedEvent => ({ ID: `00000000-0000-4000-8000-${(index + 1).toString(16).padStart(12, "0")}`, Timestamp: 1, TenantID: TenantId.make("acme"), Type: 1 });
      yield* bus.publish(topics.events, Array.from({ length: 30 }, (_, index) => ({ collectorId: CollectorId.make("fw"), event: event(index) })));
      const live = yield* LiveNodeStatus.make(options);
      yield* live.started({ supervisor: fakeSupervisor([heldPartition(0), heldRouter()]), counters: () => counters });
      const table = yield* live.status.partitionTable(correlatorId);
      expect(table.partitions.map((entry) => entry.progress?.lag)).toEqual([3, undefined]);
      expect(table.routers).toMatchObject([{ partition: 2, owner: { nodeId: "node-a" }, progress: { epoch: 50, appliedSequence: 25, checkpointSequence: 20, lag: 5 } }]);
    }).pipe(Effect.provide(memory)));

  it.scoped("a bus that cannot say its last sequences leaves the lag unknown and the table whole", () =>
    Effect.gen(function* () {
      const live = yield* LiveNodeStatus.make(options);
      yield* live.started({ supervisor: fakeSupervisor([heldPartition(0), heldRouter()]), counters: () => counters });
      const table = yield* live.status.partitionTable(undefined);
      expect(table.partitions[0]?.progress).toEqual({ epoch: 40, appliedSequence: 17, checkpointSequence: 9, lag: undefined });
      expect(table.routers[0]?.progress).toEqual({ epoch: 50, appliedSequence: 25, checkpointSequence: 20, lag: undefined });
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          Membership.layerMemory(),
          PartitionLeases.layerMemory(),
          Topics.layer("embedded"),
          CorrelatorRegistry.layerMemory(),
          DuckDbEventStore.layerEmbedded.pipe(Layer.provide(DuckDb.layer(":memory:"))),
          Layer.effect(
            EventBus,
            Effect.map(EventBus, (real) => ({ ...real, lastSequences: () => Effect.fail(new BusError({ message: "stream leader unreachable" })) })),
          ).pipe(Layer.provide(EmbeddedEventBus.layerEmbedded)),
        ),
      ),
    ));

  it.scoped("rates: the counters' growth per second over the last 10 s of samples taken once a second; zero before the second sample", () =>
    Effect.gen(function* () {
      const current = { ...counters, eventsReceived: 0, eventsStored: 0, correlationEvents: 0 };
      const live = yield* LiveNodeStatus.make(options);
      yield* live.started({ supervisor: fakeSupervisor([]), counters: () => current });
      expect((yield* live.status.nodeInfo).rates).toEqual({ eventsReceivedPerSecond: 0, eventsStoredPerSecond: 0, correlationEventsPerSecond: 0, windowMs: 0 });
      for (let second = 1; second <= 15; second++) {
        // 100 received, 90 stored and 2 correlation events a second for 10 s, then twice as many.
        const factor = second <= 10 ? 1 : 2;
        current.eventsReceived += 100 * factor;
        current.eventsStored += 90 * factor;
        current.correlationEvents += 2 * factor;
        yield* TestClock.adjust("1 second");
      }
      // The window holds seconds 5-15: five at the first pace, five at the second.
      expect((yield* live.status.nodeInfo).rates).toEqual({ eventsReceivedPerSecond: 150, eventsStoredPerSecond: 135, correlationEventsPerSecond: 3, windowMs: 10_000 });
    }).pipe(Effect.provide(memory)));

  const documentOf = (threshold: number, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      ...Schema.encodeSync(CorrelatorSpec)(spec),
      rules: [{ kind: "standard", id: "brute-force", name: "Brute force", selectors: [{ filter: { field: "EventOutcome", op: "=", value: "failure" }, threshold }], identicalFields: ["SourceAddress"], windowSeconds: 60 }],
      ...extra,
    });

  it.scoped("deploy: a new revision per change, nothing for an unchanged document; invalid, unknown and repartitioning documents are refused with the reason", () =>
    Effect.gen(function* () {
      const registry = yield* CorrelatorRegistry.CorrelatorRegistry;
      yield* registry.seed(spec);
      const live = yield* LiveNodeStatus.make(options);
      expect(yield* live.status.deployCorrelator({ document: documentOf(7), format: "json" })).toEqual({ correlatorId, revision: 2, created: true });
      expect(yield* live.status.deployCorrelator({ document: documentOf(7), format: "json" })).toEqual({ correlatorId, revision: 2, created: false });
      const yaml = `id: soc\ntenantId: main\nname: SOC\nsources: [{ tenantId: acme }]\nrules: []\n`;
      expect(yield* live.status.deployCorrelator({ document: yaml, format: "yaml" })).toEqual({ correlatorId, revision: 3, created: true });
      expect(Option.map(yield* registry.current(correlatorId), (deployed) => deployed.spec.rules)).toEqual(Option.some([]));

      const refusal = (document: string, format: "json" | "yaml" = "json") => Effect.flip(live.status.deployCorrelator({ document, format }));
      const invalid = yield* refusal(JSON.stringify({ id: "soc", tenantId: "main", name: "", rules: [{ kind: "standard", id: "x" }] }));
      expect(invalid._tag).toBe("CorrelatorInvalid");
      // Every path and reason at once, one "path: reason" per line.
      for (const line of ["\nname: ", "\nsources: ", "\nrules[0].windowSeconds: "]) expect(invalid.message).toContain(line);
      expect((yield* refusal("{not json"))._tag).toBe("CorrelatorInvalid");
      expect((yield* refusal("id: [", "yaml")).message).toContain("document.yaml");
      const uncompilable = yield* refusal(documentOf(3).replace('"field":"EventOutcome"', '"field":"NoSuchField"'));
      expect(uncompilable).toMatchObject({ _tag: "CorrelatorInvalid", message: expect.stringContaining("rule brute-force") });
      expect(yield* refusal(documentOf(3, { id: "other" }))).toMatchObject({ _tag: "CorrelatorNotFound", correlatorId: "other" });
      const lists = yield* refusal(documentOf(3, { activeLists: [{ name: "seen" }] }));
      expect(lists).toMatchObject({ _tag: "DeployRefused", message: expect.stringContaining("unpartitionable (it has active lists)") });
      expect(Option.map(yield* registry.current(correlatorId), (deployed) => deployed.revision)).toEqual(Option.some(3));
    }).pipe(Effect.provide(memory)));

  it.scoped("reload deploys the correlator as the deployment file has it now; refused without a file or when the file lost it", () =>
    Effect.gen(function* () {
      const noFile = yield* LiveNodeStatus.make(options);
      expect(yield* Effect.flip(noFile.status.reloadCorrelator(correlatorId))).toMatchObject({ _tag: "DeployRefused", message: expect.stringContaining("no deployment file") });
      expect(yield* Effect.flip(noFile.status.reloadCorrelator("nope"))).toMatchObject({ _tag: "CorrelatorNotFound" });

      const file = join(mkdtempSync(join(tmpdir(), "corvus-reload-")), "deployment.json");
      const deploymentWith = (correlators: ReadonlyArray<unknown>) =>
        JSON.stringify({ tenants: [{ id: "main", name: "Main", main: true }], collectors: [], correlators });
      writeFileSync(file, deploymentWith([JSON.parse(documentOf(9))]));
      const live = yield* LiveNodeStatus.make({ ...options, deploymentFile: file });
      expect(yield* live.status.reloadCorrelator(correlatorId)).toEqual({ correlatorId, revision: 1, created: true });
      expect(yield* live.status.reloadCorrelator(correlatorId)).toEqual({ correlatorId, revision: 1, created: false });
      writeFileSync(file, deploymentWith([]));
      expect(yield* Effect.flip(live.status.reloadCorrelator(correlatorId))).toMatchObject({ _tag: "DeployRefused", message: expect.stringContaining("no longer has correlator soc") });
      writeFileSync(file, "{");
      expect(yield* Effect.flip(live.status.reloadCorrelator(correlatorId))).toMatchObject({ _tag: "CorrelatorInvalid" });
    }).pipe(Effect.provide(memory)));
});
