// The NodeStatus of a running node: answers the control plane from the partition supervisor,
// the lease bucket, the membership, the bus (how far behind its readers are) and the correlator
// registry (deploys). It exists before the node's roles do (the control server starts first, so
// the node announces the port it really bound), says "starting" until they are handed to it, and
// "stopping" once the node's scope begins to close. It samples the node's counters once a second
// for the rates it reports.
import { Clock, Deferred, Effect, Option, Schedule, type Scope } from "effect";
import { CorrelatorEngine } from "../../actors/CorrelatorEngine.ts";
import { unpartitionableReason } from "../../actors/Partitioning.ts";
import { sameValue } from "../../actors/SpecEquality.ts";
import { decodeResourceDocument } from "../../model/ResourceDocument.ts";
import { CorrelatorSpec } from "../../model/Rule.ts";
import { CorrelatorRegistry, type CorrelatorRegistryError } from "../CorrelatorRegistry.ts";
import { loadDeployment } from "../DeploymentFile.ts";
import { EventBus } from "../EventBus.ts";
import { Membership } from "../ownership/Membership.ts";
import { PartitionLeases } from "../ownership/PartitionLeases.ts";
import type { PartitionActor } from "../PartitionActor.ts";
import type { HeldPartition, SupervisedCorrelator, Supervisor } from "../PartitionSupervisor.ts";
import { Topics } from "../Topics.ts";
import { auditServices } from "../ServiceAudit.ts";
import { EventStore } from "../../storage/EventStore.ts";
import { RE2JS } from "re2js";
import { ActiveListQueryInvalid, type ActiveListRecordInfo, type ActiveListsSource, type NodeActiveListRecords } from "./ControlServer.ts";
import { CounterRates } from "./CounterRates.ts";
import {
  ClusterStateError,
  type CorrelatorDocument,
  CorrelatorInvalid,
  CorrelatorNotFound,
  type DeployResult,
  DeployRefused,
  type DrainResult,
  GroupNotFound,
  type GroupQuery,
  type GroupStateInfo,
  type NodeCounters,
  type NodeHealth,
  type NodeMode,
  type NodeRole,
  type NodeStatus,
  type PartitionTable,
  type PartitionTableEntry,
} from "./NodeStatus.ts";

export interface LiveNodeStatusOptions {
  readonly nodeId: string;
  readonly version: string;
  readonly mode: NodeMode;
  readonly roles: ReadonlyArray<NodeRole>;
  /** The deployment's correlators with their partition counts, as the supervisor runs them. */
  readonly correlators: ReadonlyArray<SupervisedCorrelator>;
  /** The deployment file the node started from, which ReloadCorrelator reads again; none for the built-in demo. */
  readonly deploymentFile?: string | undefined;
}

/** What the node's roles hand over once they run. */
export interface StartedRoles {
  readonly supervisor: Supervisor;
  readonly counters: () => NodeCounters;
}

export interface LiveNodeStatus {
  readonly status: NodeStatus;
  /** Answers GetActiveLists from the engines of the partitions this node holds. */
  readonly activeLists: ActiveListsSource;
  /** Every role runs: the status reads from them from now on and the node serves. */
  readonly started: (roles: StartedRoles) => Effect.Effect<void>;
  /** The node's scope is closing: it no longer serves (it hands its partitions over). */
  readonly stopping: Effect.Effect<void>;
}

type Phase = "starting" | "serving" | "draining" | "stopping";

// How many lease reads a partition table has in flight: enough to hide round trips to the
// bucket, few enough not to flood it on a node with thousands of partitions.
const LeaseReadConcurrency = 16;

const zeroCounters: NodeCounters = { eventsReceived: 0, eventsStored: 0, correlationEvents: 0, alerts: 0, parseErrors: 0 };

// The supervisor also leases each correlator's router, as an entry without an actor.
const isPartition = (held: HeldPartition): held is HeldPartition & { readonly actor: PartitionActor } => held.actor !== undefined;

/** Counters are sampled this often for the rates, and the rates span this much. */
const SampleEvery = "1 second";
const RatesWindowMs = 10_000;

const slotKey = (correlatorId: string, partition: number) => `${correlatorId}/${partition}`;

/** The status of the node about to start; tell it when the roles run and when the node stops. */
export const make = (
  options: LiveNodeStatusOptions,
): Effect.Effect<LiveNodeStatus, never, Membership | PartitionLeases | EventBus | EventStore | Topics | CorrelatorRegistry | Scope.Scope> =>
  Effect.gen(function* () {
    const events = yield* EventStore;
    const membership = yield* Membership;
    const leases = yield* PartitionLeases;
    const bus = yield* EventBus;
    const topics = yield* Topics;
    const registry = yield* CorrelatorRegistry;
    const rates = new CounterRates(RatesWindowMs);
    const startedAt = Date.now();
    const startedAtMonotonic = performance.now();
    let phase: Phase = "starting";
    let roles: StartedRoles | undefined;
    const rolesStarted = yield* Deferred.make<StartedRoles>();

    const heldPartitions = () => (roles === undefined ? [] : [...roles.supervisor.held.values()].filter(isPartition));
    const heldPartition = (correlatorId: string, partition: number) =>
      heldPartitions().find((held) => held.correlatorId === correlatorId && held.partition === partition);

    const health = Effect.sync((): NodeHealth => {
      const held = heldPartitions().length;
      switch (phase) {
        case "starting":
          return { status: "not-serving", detail: "starting" };
        case "serving":
          return { status: "serving", detail: `holds ${held} partition(s)` };
        case "draining":
          return { status: "draining", detail: held > 0 ? `draining: ${held} partition(s) still held` : "drained: holds no partitions and takes none" };
        case "stopping":
          return { status: "not-serving", detail: `stopping: ${held} partition(s) still held` };
      }
    });

    // The last sequence of every subject a held slot reads, in one bus call per stream; a bus that
    // cannot tell leaves those lags unknown rather than failing the whole table.
    const lastSequencesOf = (held: ReadonlyArray<HeldPartition>) =>
      Effect.gen(function* () {
        const partitions = held.filter(isPartition);
        const [matchSequences, eventSequences] = yield* Effect.all([
          bus.lastSequences(topics.matches, partitions.map((entry) => topics.matchSubject(entry.correlatorId, entry.partition))),
          held.some((entry) => entry.router !== undefined) ? bus.lastSequences(topics.events, [topics.events.subjects[0]!]) : Effect.succeed([]),
        ]);
        const last = new Map<HeldPartition, number>();
        partitions.forEach((entry, index) => last.set(entry, matchSequences[index]!));
        for (const entry of held) if (entry.router !== undefined && eventSequences[0] !== undefined) last.set(entry, eventSequences[0]);
        return last;
      }).pipe(
        Effect.catchAll((error) => Effect.as(Effect.logWarning("partition table: last sequences unavailable; lag unknown", error), new Map<HeldPartition, number>())),
      );

    const partitionTable = (correlatorId: string | undefined): Effect.Effect<PartitionTable, CorrelatorNotFound | ClusterStateError> =>
      Effect.gen(function* () {
        const selected = correlatorId === undefined ? options.correlators : options.correlators.filter(({ spec }) => spec.id === correlatorId);
        if (correlatorId !== undefined && selected.length === 0) return yield* new CorrelatorNotFound({ correlatorId });
        const members = yield* membership.members;
        // Each correlator's partitions, then its router in the slot after them.
        const slots = selected.flatMap(({ spec, partitions }) =>
          Array.from({ length: partitions + 1 }, (_, partition) => ({ correlatorId: spec.id, partition, router: partition === partitions })),
        );
        const heldNow = new Map((roles === undefined ? [] : [...roles.supervisor.held.values()]).map((entry) => [slotKey(entry.correlatorId, entry.partition), entry]));
        const heldSlots = slots.flatMap(({ correlatorId, partition }) => {
          const entry = heldNow.get(slotKey(correlatorId, partition));
          return entry === undefined ? [] : [entry];
        });
        const lastSequences = yield* lastSequencesOf(heldSlots);
        const progressOf = (held: HeldPartition | undefined): PartitionTableEntry["progress"] => {
          const stats = held?.actor?.stats ?? held?.router;
          if (held === undefined || stats === undefined) return undefined;
          const last = lastSequences.get(held);
          return {
            epoch: held.lease.epoch,
            appliedSequence: stats.lastSequence,
            checkpointSequence: stats.checkpointSequence,
            lag: last === undefined ? undefined : Math.max(0, last - stats.lastSequence),
          };
        };
        const entries = yield* Effect.forEach(
          slots,
          ({ correlatorId, partition, router }) =>
            Effect.map(leases.current(correlatorId, partition), (lease) => ({
              router,
              entry: {
                correlatorId,
                partition,
                owner: Option.match(lease, { onNone: () => undefined, onSome: (view) => ({ nodeId: view.owner, epoch: view.epoch }) }),
                progress: progressOf(heldNow.get(slotKey(correlatorId, partition))),
              } satisfies PartitionTableEntry,
            })),
          { concurrency: LeaseReadConcurrency },
        );
        return {
          nodeId: options.nodeId,
          members: members.map((member) => ({ nodeId: member.nodeId, address: member.address, draining: member.draining, startedAtMs: member.startedAt })),
          partitions: entries.filter((slot) => !slot.router).map((slot) => slot.entry),
          routers: entries.filter((slot) => slot.router).map((slot) => slot.entry),
        };
      }).pipe(Effect.catchTag("OwnershipError", (error) => new ClusterStateError({ message: error.message, cause: error })));

    const registryFailure = (error: CorrelatorRegistryError) => new ClusterStateError({ message: error.message, cause: error });

    // Decoded, one of ours, compiling, and keeping its partitioning; equal to the current revision stores nothing.
    const deploySpec = (spec: CorrelatorSpec, validateOnly = false): Effect.Effect<DeployResult, CorrelatorInvalid | CorrelatorNotFound | DeployRefused | ClusterStateError> =>
      Effect.gen(function* () {
        const supervised = options.correlators.find((correlator) => correlator.spec.id === spec.id);
        if (supervised === undefined) return yield* new CorrelatorNotFound({ correlatorId: spec.id });
        yield* Effect.try({ try: () => new CorrelatorEngine(spec), catch: (cause) => new CorrelatorInvalid({ message: (cause as Error).message }) });
        const current = yield* Effect.mapError(registry.current(spec.id), registryFailure);
        const currentRevision = Option.match(current, { onNone: () => 0, onSome: (deployed) => deployed.revision });
        if (Option.isSome(current) && sameValue(current.value.spec, spec)) return { correlatorId: spec.id, revision: current.value.revision, created: false };
        const running = Option.match(current, { onNone: () => supervised.spec, onSome: (deployed) => deployed.spec });
        const wasSplittable = unpartitionableReason(running) === undefined;
        const reason = unpartitionableReason(spec);
        if (wasSplittable !== (reason === undefined)) {
          return yield* new DeployRefused({
            message: wasSplittable
              ? `correlator ${spec.id} runs in partitions, and this change would make it unpartitionable (${reason}); its partition count is fixed`
              : `correlator ${spec.id} runs as one partition (${unpartitionableReason(running)}), and this change would make it partitionable; its partition count is fixed`,
          });
        }
        // Every check a deploy makes has passed: a validation stops here.
        if (validateOnly) return { correlatorId: spec.id, revision: currentRevision, created: false };
        const revision = yield* Effect.mapError(registry.deploy(spec), registryFailure);
        yield* auditServices("service reloaded", [{ id: spec.id, kind: "correlator", tenantId: spec.tenantId, name: spec.name }], options.nodeId, { revision: String(revision) }).pipe(
          Effect.provideService(EventStore, events),
        );
        return { correlatorId: spec.id, revision, created: true };
      });

    const deployCorrelator = (request: CorrelatorDocument) =>
      decodeResourceDocument(CorrelatorSpec, request.document, request.format === "yaml" ? "document.yaml" : "document.json").pipe(
        Effect.mapError((message) => new CorrelatorInvalid({ message })),
        Effect.flatMap((spec) => deploySpec(spec, request.validateOnly === true)),
      );

    const reloadCorrelator = (correlatorId: string) =>
      Effect.gen(function* () {
        if (!options.correlators.some((correlator) => correlator.spec.id === correlatorId)) return yield* new CorrelatorNotFound({ correlatorId });
        const file = options.deploymentFile;
        if (file === undefined) return yield* new DeployRefused({ message: "this node runs the built-in demo deployment: it has no deployment file to reload from" });
        const deployment = yield* Effect.mapError(loadDeployment(file), (error) => new CorrelatorInvalid({ message: error.message }));
        const spec = deployment.correlators.find((correlator) => correlator.id === correlatorId);
        if (spec === undefined) return yield* new DeployRefused({ message: `the deployment file no longer has correlator ${correlatorId}; removing a correlator is not supported` });
        return yield* deploySpec(spec);
      });

    const drain: Effect.Effect<DrainResult> = Effect.gen(function* () {
      const { supervisor } = yield* Deferred.await(rolesStarted);
      // Uninterruptible once begun: a caller that stops waiting must not leave a partition
      // stopped but its lease unreleased (its successor would wait for the lease to expire).
      return yield* Effect.uninterruptible(
        Effect.gen(function* () {
          if (phase !== "stopping") phase = "draining";
          const handedOverBefore = supervisor.stats.handedOver;
          const routersBefore = [...supervisor.held.values()].filter((held) => !isPartition(held));
          yield* supervisor.drain;
          // The supervisor counts routers among its handovers; the operator asks about partitions.
          const stillHeld = new Set(supervisor.held.values());
          const routersHandedOver = routersBefore.filter((router) => !stillHeld.has(router)).length;
          return { nodeId: options.nodeId, partitionsHandedOver: supervisor.stats.handedOver - handedOverBefore - routersHandedOver };
        }),
      );
    });

    const groupState = (query: GroupQuery): Effect.Effect<GroupStateInfo, CorrelatorNotFound | GroupNotFound> =>
      Effect.gen(function* () {
        const correlator = options.correlators.find(({ spec }) => spec.id === query.correlatorId);
        if (correlator === undefined) return yield* new CorrelatorNotFound({ correlatorId: query.correlatorId });
        const held = heldPartition(query.correlatorId, query.partition);
        if (held === undefined) return yield* new GroupNotFound({ query, reason: "partition-not-held" });
        // The engine's own spec: a deploy may have changed the rules since the node started.
        if (!held.actor.engine.spec.rules.some((rule) => rule.id === query.ruleId && rule.kind === "standard")) {
          return yield* new GroupNotFound({ query, reason: "no-such-rule" });
        }
        const state = held.actor.engine.groupState(query.ruleId, query.groupKey);
        if (state === undefined) return yield* new GroupNotFound({ query, reason: "no-live-group" });
        return {
          ...query,
          epoch: held.lease.epoch,
          appliedSequence: held.actor.stats.lastSequence,
          windowStartMs: state.windowStart,
          windowEndMs: state.windowEnd,
          eventCount: state.eventCount,
          firstEventMs: state.firstEventAt,
          lastEventMs: state.lastEventAt,
          fired: state.fired,
          selectors: state.selectors,
        };
      });

    // Read off the live engines between batches (single-threaded): the counts and records cover appliedSequence.
    const activeLists: ActiveListsSource = {
      lists: (correlatorId) =>
        Effect.suspend(() => {
          if (!options.correlators.some(({ spec }) => spec.id === correlatorId)) return Effect.fail(new CorrelatorNotFound({ correlatorId }));
          const partitions = heldPartitions()
            .filter((held) => held.correlatorId === correlatorId)
            .map((held) => ({
              partition: held.partition,
              epoch: held.lease.epoch,
              appliedSequence: held.actor.stats.lastSequence,
              lists: held.actor.engine.activeListSizes(),
            }));
          return Effect.succeed({ nodeId: options.nodeId, partitions });
        }),
      records: (query) =>
        Effect.suspend((): Effect.Effect<NodeActiveListRecords, CorrelatorNotFound | ActiveListQueryInvalid> => {
          if (!options.correlators.some(({ spec }) => spec.id === query.correlatorId)) return Effect.fail(new CorrelatorNotFound({ correlatorId: query.correlatorId }));
          let pattern: RE2JS | undefined;
          try {
            // RE2 (linear time): the pattern comes from a tenant's user through the gateway.
            pattern = query.keyPattern === undefined ? undefined : RE2JS.compile(query.keyPattern, RE2JS.CASE_INSENSITIVE);
          } catch (cause) {
            return Effect.fail(new ActiveListQueryInvalid({ message: `key pattern does not compile: ${(cause as Error).message}` }));
          }
          const matches = pattern === undefined ? undefined : (key: string) => pattern.test(key);
          const partitions = heldPartitions()
            .filter((held) => held.correlatorId === query.correlatorId)
            .map((held) => {
              const page = held.actor.engine.activeListPage(query.list, { ...(matches !== undefined ? { matches } : {}), offset: query.offset, limit: query.limit });
              return {
                partition: held.partition,
                epoch: held.lease.epoch,
                appliedSequence: held.actor.stats.lastSequence,
                total: page?.total ?? 0,
                records: withinBytes(page?.records ?? [], MaxRecordBytesPerAnswer),
              };
            });
          return Effect.succeed({ nodeId: options.nodeId, partitions });
        }),
    };

    const status: NodeStatus = {
      nodeInfo: Effect.sync(() => ({
        nodeId: options.nodeId,
        version: options.version,
        roles: options.roles,
        startTimeMs: startedAt,
        uptimeMs: Math.round(performance.now() - startedAtMonotonic),
        mode: options.mode,
        counters: roles?.counters() ?? zeroCounters,
        rates: rates.rates(),
      })),
      partitions: Effect.sync(() =>
        heldPartitions().map((held) => ({
          correlatorId: held.correlatorId,
          partition: held.partition,
          ownerNode: options.nodeId,
          streamSequence: held.actor.stats.lastSequence,
        })),
      ),
      health,
      partitionTable,
      drain,
      groupState,
      deployCorrelator,
      reloadCorrelator,
    };

    // Once a second, off the per-event path: the counters are plain reads of the roles' stats.
    yield* Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis;
      rates.record(now, roles?.counters() ?? zeroCounters);
    }).pipe(Effect.repeat(Schedule.spaced(SampleEvery)), Effect.forkScoped);

    return {
      status,
      activeLists,
      started: (started) =>
        Effect.suspend(() => {
          roles = started;
          if (phase === "starting") phase = "serving";
          return Deferred.succeed(rolesStarted, started);
        }),
      stopping: Effect.sync(() => {
        phase = "stopping";
      }),
    };
  });

// gRPC's default limit on a message is 4 MiB: a page of records stays well below it.
const MaxRecordBytesPerAnswer = 1024 * 1024;

/** The first records that fit in `budget` bytes (roughly, as UTF-16 lengths), at least one so a caller paging on always moves. */
const withinBytes = (records: ReadonlyArray<ActiveListRecordInfo>, budget: number): ReadonlyArray<ActiveListRecordInfo> => {
  let bytes = 0;
  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    bytes += record.key.length + 32;
    for (const name in record.fields) bytes += name.length + record.fields[name]!.length + 8;
    if (bytes > budget && index > 0) return records.slice(0, index);
  }
  return records;
};
