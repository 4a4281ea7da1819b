// What a node reports about itself through the control plane: the seam between the node
// runtime (which owns the counters and leases) and ControlServer (which only serves them).
import { Data, type Effect } from "effect";

/** How the node runs: one embedded process, or one member of a NATS + Cassandra cluster. */
export type NodeMode = "embedded" | "cluster";

/** A data-path stage the node runs (DESIGN.md "The data path"). */
export type NodeRole = "collector" | "store" | "router" | "correlator" | "alerts" | "gateway";

/** Monotonic counters since the node started. */
export interface NodeCounters {
  readonly eventsReceived: number;
  readonly eventsStored: number;
  readonly correlationEvents: number;
  readonly alerts: number;
  readonly parseErrors: number;
}

/** Traffic per second over the last few seconds of counter samples. */
export interface NodeRates {
  readonly eventsReceivedPerSecond: number;
  readonly eventsStoredPerSecond: number;
  readonly correlationEventsPerSecond: number;
  /** The span the rates are averaged over; 0 (and every rate 0) before the second sample. */
  readonly windowMs: number;
}

/** Identity, roles and traffic of one node; times are unix-epoch / elapsed milliseconds. */
export interface NodeInfo {
  readonly nodeId: string;
  readonly version: string;
  readonly roles: ReadonlyArray<NodeRole>;
  readonly startTimeMs: number;
  // Measured by the node (monotonic), not derived from startTimeMs by a client whose
  // wall clock may disagree with the node's.
  readonly uptimeMs: number;
  readonly mode: NodeMode;
  readonly counters: NodeCounters;
  /** Undefined only when an older node did not send them. */
  readonly rates: NodeRates | undefined;
}

/** One correlator partition held by a node and how far its actor has applied the stream. */
export interface PartitionInfo {
  readonly correlatorId: string;
  readonly partition: number;
  readonly ownerNode: string;
  // Last applied sequence of the partition's match stream; 0 before the first message.
  readonly streamSequence: number;
}

/** Serving: every role runs and it takes its partitions. Not serving: starting or stopping. */
export type HealthStatus = "serving" | "draining" | "not-serving";

/** Whether the node does its work, and a line for a human saying what it is doing. */
export interface NodeHealth {
  readonly status: HealthStatus;
  readonly detail: string;
}

/** A live member as the membership bucket lists it. */
export interface MemberView {
  readonly nodeId: string;
  readonly address: string;
  readonly draining: boolean;
  readonly startedAtMs: number;
}

/** How far the answering node's actor of a partition has come. */
export interface PartitionProgress {
  /** The lease epoch the node runs the partition under. */
  readonly epoch: number;
  readonly appliedSequence: number;
  /** The sequence the last saved checkpoint covers. */
  readonly checkpointSequence: number;
  /** Records on the subject it reads not yet applied; undefined when the bus could not tell. */
  readonly lag: number | undefined;
}

/** One partition of the cluster's partition table. */
export interface PartitionTableEntry {
  readonly correlatorId: string;
  readonly partition: number;
  /** The lease holder and its epoch per the lease bucket; undefined when nobody holds it. */
  readonly owner: { readonly nodeId: string; readonly epoch: number } | undefined;
  /** Set only when the answering node runs the partition. */
  readonly progress: PartitionProgress | undefined;
}

/** The cluster's partitions as one node sees them. */
export interface PartitionTable {
  /** The answering node: the only one whose progress the table carries. */
  readonly nodeId: string;
  readonly members: ReadonlyArray<MemberView>;
  readonly partitions: ReadonlyArray<PartitionTableEntry>;
  /** Each correlator's router, in the lease slot after its partitions; its progress is in the events stream. */
  readonly routers: ReadonlyArray<PartitionTableEntry>;
}

/** What a drain did. */
export interface DrainResult {
  readonly nodeId: string;
  /** Partitions handed over from the start of the drain until the node held none. */
  readonly partitionsHandedOver: number;
}

/** Which group to inspect: the group key in its text form, as correlation events carry it. */
export interface GroupQuery {
  readonly correlatorId: string;
  readonly partition: number;
  readonly ruleId: string;
  readonly groupKey: string;
}

/** One selector's progress in a group's window. */
export interface SelectorCount {
  readonly name: string | undefined;
  readonly count: number;
  readonly threshold: number;
  readonly recovery: boolean;
}

/** What the node's engine holds of one live group; times are stream time, unix-epoch ms. */
export interface GroupStateInfo extends GroupQuery {
  /** The lease epoch the node runs the partition under. */
  readonly epoch: number;
  /** The last sequence applied and published; the state covers at least this much. */
  readonly appliedSequence: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /** Events counted since the window opened or last fired. */
  readonly eventCount: number;
  /** Times of the earliest and latest of those events; undefined when there are none. */
  readonly firstEventMs: number | undefined;
  readonly lastEventMs: number | undefined;
  readonly fired: number;
  readonly selectors: ReadonlyArray<SelectorCount>;
}

/** The node runs no correlator with this id. */
export class CorrelatorNotFound extends Data.TaggedError("CorrelatorNotFound")<{
  readonly correlatorId: string;
}> {
  override get message(): string {
    return `correlator ${this.correlatorId} is not deployed on this node`;
  }
}

/** Why a group could not be shown. */
export type GroupNotFoundReason = "partition-not-held" | "no-such-rule" | "no-live-group";

/** The node holds no live group for the query (see `reason`). */
export class GroupNotFound extends Data.TaggedError("GroupNotFound")<{
  readonly query: GroupQuery;
  readonly reason: GroupNotFoundReason;
}> {
  override get message(): string {
    const { correlatorId, partition, ruleId, groupKey } = this.query;
    switch (this.reason) {
      case "partition-not-held":
        return `partition ${correlatorId}/${partition} is not held by this node`;
      case "no-such-rule":
        return `correlator ${correlatorId} has no rule ${ruleId} with group windows`;
      case "no-live-group":
        return `no live group ${JSON.stringify(groupKey)} of rule ${ruleId} in partition ${correlatorId}/${partition}`;
    }
  }
}

/** A correlator document to deploy, as DeployCorrelator carries it. */
export interface CorrelatorDocument {
  readonly document: string;
  readonly format: "json" | "yaml";
  /** Check only: the same checks and refusals as a deploy, nothing stored or audited; answers the current revision, created false. */
  readonly validateOnly?: boolean;
}

/** Where a deploy or reload left a correlator. */
export interface DeployResult {
  readonly correlatorId: string;
  readonly revision: number;
  /** False when the document equalled the current revision and nothing was stored. */
  readonly created: boolean;
}

/** The document does not decode as a correlator, or its rules do not compile; the message has every path and reason. */
export class CorrelatorInvalid extends Data.TaggedError("CorrelatorInvalid")<{
  readonly message: string;
}> {}

/** The node cannot apply the change as asked (a partitioning change, no deployment file); the message says why. */
export class DeployRefused extends Data.TaggedError("DeployRefused")<{
  readonly message: string;
}> {}

/** The cluster's shared state (membership, leases, the correlator registry) could not be read or written; the cause stays in the node's log. */
export class ClusterStateError extends Data.TaggedError("ClusterStateError")<{
  readonly message: string;
  readonly cause?: unknown;
}> {}

/**
 * The node's current state, read on every control call. The read-only effects are cheap
 * snapshots; those without an error channel cannot fail: a node that cannot say what it is
 * has a bug (the server answers INTERNAL).
 */
export interface NodeStatus {
  readonly nodeInfo: Effect.Effect<NodeInfo>;
  /** The correlator partitions this node holds a lease for now. */
  readonly partitions: Effect.Effect<ReadonlyArray<PartitionInfo>>;
  /** From memory only: a probe may call it often. */
  readonly health: Effect.Effect<NodeHealth>;
  /** Every partition of one correlator (undefined: of every correlator the node runs). */
  readonly partitionTable: (correlatorId: string | undefined) => Effect.Effect<PartitionTable, CorrelatorNotFound | ClusterStateError>;
  /** Hands every partition over and takes no new ones; runs to its end even if the caller goes away. */
  readonly drain: Effect.Effect<DrainResult>;
  readonly groupState: (query: GroupQuery) => Effect.Effect<GroupStateInfo, CorrelatorNotFound | GroupNotFound>;
  /** Stores a new revision of one of the node's correlators; ClusterStateError when the registry cannot be reached. */
  readonly deployCorrelator: (document: CorrelatorDocument) => Effect.Effect<DeployResult, CorrelatorInvalid | CorrelatorNotFound | DeployRefused | ClusterStateError>;
  /** Deploys one correlator as the node's deployment file has it now. */
  readonly reloadCorrelator: (correlatorId: string) => Effect.Effect<DeployResult, CorrelatorInvalid | CorrelatorNotFound | DeployRefused | ClusterStateError>;
}
