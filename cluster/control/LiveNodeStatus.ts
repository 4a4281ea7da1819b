// The NodeStatus of a running node: answers the control plane from the partition supervisor,
// the lease bucket and the membership. It exists before the node's roles do (the control server
// starts first, so the node announces the port it really bound), says "starting" until they
// are handed to it, and "stopping" once the node's scope begins to close.
import { Deferred, Effect, Option } from "effect";
import { Membership } from "../ownership/Membership.ts";
import { PartitionLeases } from "../ownership/PartitionLeases.ts";
import type { PartitionActor } from "../PartitionActor.ts";
import type { HeldPartition, SupervisedCorrelator, Supervisor } from "../PartitionSupervisor.ts";
import {
  ClusterStateError,
  CorrelatorNotFound,
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
}

/** What the node's roles hand over once they run. */
export interface StartedRoles {
  readonly supervisor: Supervisor;
  readonly counters: () => NodeCounters;
}

export interface LiveNodeStatus {
  readonly status: NodeStatus;
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

/** The status of the node about to start; tell it when the roles run and when the node stops. */
export const make = (options: LiveNodeStatusOptions): Effect.Effect<LiveNodeStatus, never, Membership | PartitionLeases> =>
  Effect.gen(function* () {
    const membership = yield* Membership;
    const leases = yield* PartitionLeases;
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

    const partitionTable = (correlatorId: string | undefined): Effect.Effect<PartitionTable, CorrelatorNotFound | ClusterStateError> =>
      Effect.gen(function* () {
        const selected = correlatorId === undefined ? options.correlators : options.correlators.filter(({ spec }) => spec.id === correlatorId);
        if (correlatorId !== undefined && selected.length === 0) return yield* new CorrelatorNotFound({ correlatorId });
        const members = yield* membership.members;
        const slots = selected.flatMap(({ spec, partitions }) => Array.from({ length: partitions }, (_, partition) => ({ correlatorId: spec.id, partition })));
        const partitions = yield* Effect.forEach(
          slots,
          ({ correlatorId, partition }) =>
            Effect.map(leases.current(correlatorId, partition), (lease): PartitionTableEntry => {
              const held = heldPartition(correlatorId, partition);
              return {
                correlatorId,
                partition,
                owner: Option.match(lease, { onNone: () => undefined, onSome: (view) => ({ nodeId: view.owner, epoch: view.epoch }) }),
                // The bus cannot tell a subject's last sequence yet, so the lag stays unknown.
                progress:
                  held === undefined
                    ? undefined
                    : {
                        epoch: held.lease.epoch,
                        appliedSequence: held.actor.stats.lastSequence,
                        checkpointSequence: held.actor.stats.checkpointSequence,
                        lag: undefined,
                      },
              };
            }),
          { concurrency: LeaseReadConcurrency },
        );
        return {
          nodeId: options.nodeId,
          members: members.map((member) => ({ nodeId: member.nodeId, address: member.address, draining: member.draining, startedAtMs: member.startedAt })),
          partitions,
        };
      }).pipe(Effect.catchTag("OwnershipError", (error) => new ClusterStateError({ message: error.message, cause: error })));

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
        if (!correlator.spec.rules.some((rule) => rule.id === query.ruleId && rule.kind === "standard")) {
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

    const status: NodeStatus = {
      nodeInfo: Effect.sync(() => ({
        nodeId: options.nodeId,
        version: options.version,
        roles: options.roles,
        startTimeMs: startedAt,
        uptimeMs: Math.round(performance.now() - startedAtMonotonic),
        mode: options.mode,
        counters: roles?.counters() ?? zeroCounters,
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
    };

    return {
      status,
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
